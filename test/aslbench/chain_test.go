package aslbench_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/test/aslbench"
)

func TestGenerateChainRefusesEmpty(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := aslbench.GenerateChain(n); !errors.Is(err, aslbench.ErrChainLength) {
			t.Errorf("GenerateChain(%d): err %v, want ErrChainLength", n, err)
		}
	}
}

func TestGenerateChainExpectedOutput(t *testing.T) {
	x := `{"id":"order-42","note":null,"ok":true,"price":12.5,"qty":3,"tags":["a","b"]}`
	tests := []struct {
		n    int
		want string
	}{
		{1, `{"n":{"keep":"nested sibling"},"r":{"i":0,"k":"constant-S0","prev":-1,"x":` + x + `},"x":` + x + `}`},
		{2, `{"n":{"keep":"nested sibling","r":{"i":1,"k":"constant-S1","prev":0,"x":` + x + `}},"r":{"i":0,"k":"constant-S0","prev":-1,"x":` + x + `},"x":` + x + `}`},
		{5, `{"n":{"keep":"nested sibling","r":{"i":3,"k":"constant-S3","prev":2,"x":` + x + `}},"r":{"i":4,"k":"constant-S4","prev":2,"x":` + x + `},"x":` + x + `}`},
		{12, `{"n":{"keep":"nested sibling","r":{"i":11,"k":"constant-S11","prev":10,"x":` + x + `}},"r":{"i":10,"k":"constant-S10","prev":8,"x":` + x + `},"x":` + x + `}`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			c, err := aslbench.GenerateChain(tt.n)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(c.Output)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("output\n got %s\nwant %s", got, tt.want)
			}
			if err := c.CheckOutput([]byte(tt.want)); err != nil {
				t.Errorf("CheckOutput(want): %v", err)
			}
		})
	}
}

func TestGenerateChainDefinitionShape(t *testing.T) {
	c, err := aslbench.GenerateChain(1000)
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		StartAt string
		States  map[string]struct {
			Type       string
			Parameters map[string]any
			ResultPath string
			Next       string
			End        bool
		}
	}
	if err := json.Unmarshal(c.Definition, &def); err != nil {
		t.Fatal(err)
	}
	if def.StartAt != "S000" || len(def.States) != 1000 {
		t.Fatalf("StartAt %q, %d states", def.StartAt, len(def.States))
	}
	for i := range 1000 {
		name := aslbench.StateName(i, 1000)
		st, ok := def.States[name]
		if !ok || st.Type != "Pass" || st.Parameters["x.$"] != "$.x" || st.Parameters["i"] != float64(i) {
			t.Fatalf("state %s: %+v", name, st)
		}
		wantPath := map[bool]string{true: "$.r", false: "$.n.r"}[i%2 == 0]
		if st.ResultPath != wantPath {
			t.Errorf("%s ResultPath %q, want %q", name, st.ResultPath, wantPath)
		}
		last := i == 999
		if st.End != last || (!last && st.Next != aslbench.StateName(i+1, 1000)) {
			t.Errorf("%s: Next %q End %v", name, st.Next, st.End)
		}
	}
}

func TestCheckOutputRejects(t *testing.T) {
	c, err := aslbench.GenerateChain(3)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(c.Output)
	tests := []struct {
		name, out string
		mismatch  bool
	}{
		{"not JSON", `{"r":`, false},
		{"trailing data", string(good) + ` {}`, false},
		{"other value", strings.Replace(string(good), `"prev":0`, `"prev":1`, 1), true},
		{"null", `null`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckOutput([]byte(tt.out))
			if err == nil {
				t.Fatal("accepted")
			}
			if errors.Is(err, aslbench.ErrOutputMismatch) != tt.mismatch {
				t.Errorf("err %v: mismatch %v, want %v", err, !tt.mismatch, tt.mismatch)
			}
		})
	}
	// Key order and number spelling are not differences.
	if err := c.CheckOutput([]byte(strings.Replace(string(good), `"i":2`, `"i":2.0e0`, 1))); err != nil {
		t.Errorf("2.0e0 for 2: %v", err)
	}
}

// TestChainInProcessEngine runs the chain through pkg/asl directly: the
// engine agrees with the model without any process in between.
func TestChainInProcessEngine(t *testing.T) {
	c, err := aslbench.GenerateChain(501)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := asl.Compile(c.Definition)
	if err != nil {
		t.Fatal(err)
	}
	var in any
	if err := json.Unmarshal(c.Input, &in); err != nil {
		t.Fatal(err)
	}
	_, res, err := sm.Run(context.Background(), asl.ExecutionConfig{Input: in, Clock: asl.NewFastClock(benchEpoch)})
	if err != nil || res.Status != asl.StatusSucceeded {
		t.Fatalf("run: %v %+v", err, res)
	}
	out, err := json.Marshal(res.Output)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckOutput(out); err != nil {
		t.Fatal(err)
	}
}

// TestChainSameResultAsReference runs a 200-state chain through both whole
// processes, cogniforge sfn run and node with aws-local-stepfunctions, and
// requires both to return the chain's expected output. It installs the npm
// package when it is missing and fails when it cannot.
func TestChainSameResultAsReference(t *testing.T) {
	ref := requireReference(t)
	c, err := aslbench.GenerateChain(200)
	if err != nil {
		t.Fatal(err)
	}
	def, input, err := c.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Both ways of running the reference, with and without its validation,
	// must agree: the benchmark times the one without.
	for _, validate := range []bool{false, true} {
		run, err := ref.run(def, input, validate)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckOutput(run.Output); err != nil {
			t.Errorf("aws-local-stepfunctions (validate %v): %v", validate, err)
		}
	}
	run, err := runCogniforge(def, input)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckOutput(run.Output); err != nil {
		t.Errorf("cogniforge: %v", err)
	}
}

func FuzzCheckOutput(f *testing.F) {
	c, err := aslbench.GenerateChain(4)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(c.Output)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2,{"a":null}]`))
	f.Add([]byte(`{"x":`))
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := c.CheckOutput(raw)
		var v any
		if json.Unmarshal(raw, &v) != nil && err == nil {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		if err == nil {
			// Whatever it accepts re-encodes to the expected output.
			re, _ := json.Marshal(v)
			if string(re) != string(good) {
				t.Fatalf("accepted %s, want %s", re, good)
			}
		}
	})
}

func ExampleGenerateChain() {
	c, err := aslbench.GenerateChain(2)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(c.Definition))
	fmt.Println(string(c.Input))
	// Output:
	// {"Comment":"2 Pass states with Parameters and ResultPath","StartAt":"S0","States":{"S0":{"Type":"Pass","Parameters":{"x.$":"$.x","i":0,"prev.$":"$.r.i","k":"constant-S0"},"ResultPath":"$.r","Next":"S1"},"S1":{"Type":"Pass","Parameters":{"x.$":"$.x","i":1,"prev.$":"$.r.i","k":"constant-S1"},"ResultPath":"$.n.r","End":true}}}
	// {"n":{"keep":"nested sibling"},"r":{"i":-1},"x":{"id":"order-42","note":null,"ok":true,"price":12.5,"qty":3,"tags":["a","b"]}}
}
