package saga_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/asl/validate"
	"github.com/cogniforge/cogniforge/pkg/saga"
)

func TestParseSpecRefusesBadSpecs(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no name", "steps: [{name: a, function: f}]", "name"},
		{"no steps", "name: s\nsteps: []", "no steps"},
		{"unknown field", "name: s\nsteps: [{name: a, function: f, compensate: f}]", "compensate"},
		{"duplicate step", "name: s\nsteps: [{name: a, function: f}, {name: a, function: g}]", "used twice"},
		{"no function", "name: s\nsteps: [{name: a}]", "function is required"},
		{"bad step name", "name: s\nsteps: [{name: 'A#1', function: f}]", "lower-case"},
		{"two pivots", "name: s\nsteps: [{name: a, function: f, pivot: true}, {name: b, function: f, pivot: true}]", "2 pivots"},
		{"compensation after pivot", "name: s\nsteps: [{name: a, function: f, pivot: true}, {name: b, function: f, compensation: f}]", "after the pivot"},
		{"pivot in group", "name: s\nsteps: [{parallel: {name: g, steps: [{name: a, function: f, pivot: true}, {name: b, function: f}]}}]", "inside a parallel"},
		{"small group", "name: s\nsteps: [{parallel: {name: g, steps: [{name: a, function: f}]}}]", "at least two"},
		{"step and group", "name: s\nsteps: [{name: x, function: f, parallel: {name: g, steps: [{name: a, function: f}, {name: b, function: f}]}}]", "not both"},
		{"bad saga id path", "name: s\nsagaId: orderId\nsteps: [{name: a, function: f}]", "JSONPath"},
		{"bad retry", "name: s\ndefaults: {retry: {maxAttempts: -1}}\nsteps: [{name: a, function: f}]", "maxAttempts"},
		{"not yaml", "name: [", "invalid spec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := saga.ParseSpec([]byte(tt.yaml))
			if !errors.Is(err, saga.ErrInvalidSpec) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want ErrInvalidSpec mentioning %q", err, tt.want)
			}
		})
	}
}

// TestCheckedInDefinitionsMatchTheirSpecs: each statemachines/*.saga.yaml
// generates exactly its checked-in .asl.json, which validates.
func TestCheckedInDefinitionsMatchTheirSpecs(t *testing.T) {
	specs, err := filepath.Glob("../../statemachines/*.saga.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs found (%v)", err)
	}
	for _, path := range specs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(path, ".saga.yaml") + ".asl.json")
			if err != nil {
				t.Fatalf("%v: generate it with `cogniforge saga generate %s -o ...`", err, path)
			}
			got := generate(t, path)
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run `cogniforge saga generate %s -o %s`", strings.TrimSuffix(path, ".saga.yaml")+".asl.json", path,
					strings.TrimSuffix(path, ".saga.yaml")+".asl.json")
			}
		})
	}
}

func TestGeneratedDefinitionsValidate(t *testing.T) {
	specs, _ := filepath.Glob("testdata/*.saga.yaml")
	more, _ := filepath.Glob("../../statemachines/*.saga.yaml")
	for _, path := range append(specs, more...) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			def := generate(t, path)
			if diags := validate.Definition(def); len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if _, err := asl.Compile(def); err != nil {
				t.Fatal(err)
			}
			if again := generate(t, path); !bytes.Equal(def, again) {
				t.Error("generation is not deterministic")
			}
		})
	}
}

func generate(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := saga.ParseSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	def, err := saga.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func FuzzParseSpec(f *testing.F) {
	for _, p := range []string{"../../statemachines/order-fulfillment.saga.yaml", "testdata/parallel.saga.yaml", "testdata/pivot.saga.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: s\nsteps: [{parallel: {name: g, steps: [{name: a, function: f}, {name: b, function: f}]}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := saga.ParseSpec(data)
		if err != nil {
			return
		}
		def, err := saga.Generate(spec)
		if err != nil {
			t.Fatalf("a valid spec did not generate: %v", err)
		}
		if _, err := asl.Compile(def); err != nil {
			t.Fatalf("a valid spec generated an invalid definition: %v\n%s", err, def)
		}
	})
}

func FuzzDecodeTask(f *testing.F) {
	f.Add([]byte(`{"sagaId":"s","step":"a","phase":"forward","input":{}}`))
	f.Add([]byte(`{"sagaId":"","step":"a","phase":"compensation"}`))
	f.Add([]byte(`{"sagaId":"s","step":"a#b","phase":"forward"}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"sagaId":"s","step":"a","phase":"begin","input":{"b":1,"a":[1.50,"x"]},"event":{"sagaId":"s"}}`))
	f.Add([]byte(`{"sagaId":"s","step":"a","phase":"end","input":{},"outcome":{"state":"completed","output":{}}}`))
	f.Add([]byte(`{"sagaId":"s","step":"a","phase":"end","input":{},"outcome":{"state":"exploded"}}`))
	f.Add([]byte(`{"sagaId":"s","step":"a","phase":"end"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		task, err := saga.DecodeTask(data)
		if err != nil {
			if !saga.IsBusiness(err) {
				t.Fatalf("decode error %v is not a named refusal", err)
			}
			return
		}
		switch {
		case task.SagaID == "" || task.Step == "":
			t.Fatalf("accepted a task without saga id or step %+v", task)
		case task.Phase == saga.PhaseEnd:
			if task.Outcome == nil || (task.Outcome.State != saga.SagaCompleted && task.Outcome.State != saga.SagaCompensated && task.Outcome.State != saga.SagaStuck) {
				t.Fatalf("accepted an end without a valid outcome %+v", task.Outcome)
			}
		case task.Phase != saga.PhaseForward && task.Phase != saga.PhaseCompensation && task.Phase != saga.PhaseBegin:
			t.Fatalf("accepted an unknown phase %q", task.Phase)
		}
		// The input's hash is defined for any input the decoder accepts
		// (or refused by name), and stable.
		h1, err1 := saga.InputHash(task.Input)
		h2, err2 := saga.InputHash(task.Input)
		if (err1 != nil) != (err2 != nil) || h1 != h2 || err1 != nil && !saga.IsBusiness(err1) {
			t.Fatalf("InputHash unstable or unnamed: %q %v / %q %v", h1, err1, h2, err2)
		}
	})
}
