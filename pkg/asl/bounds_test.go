package asl

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

// TestCompileRefusesEndlessMachines: a machine, branch or processor with no
// terminal state StartAt leads to does not compile, with validate's words;
// a loop with a way out does.
func TestCompileRefusesEndlessMachines(t *testing.T) {
	const loop = `"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}`
	cases := []struct{ name, def, want string }{
		{"pure cycle", `{"StartAt":"A","States":{` + loop + `}}`, "States: " + validate.MsgNoTerminalState},
		{"self loop", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`, "States: " + validate.MsgNoTerminalState},
		{"choice that only loops", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"W"}],"Default":"W"},"W":{"Type":"Wait","Seconds":1,"Next":"C"}}}`,
			"States: " + validate.MsgNoTerminalState},
		{"end out of reach", `{"StartAt":"A","States":{` + loop + `,"Done":{"Type":"Succeed"}}}`,
			"States: " + strings.Replace(validate.MsgTerminalUnreachable, "%q", `"A"`, 1)},
		{"branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"Z","States":{"Z":{"Type":"Succeed"}}},{"StartAt":"A","States":{` + loop + `}}],"End":true}}}`,
			"States.P.Branches[1].States: " + validate.MsgNoTerminalState},
		{"processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{` + loop + `}},"End":true}}}`,
			"States.M.ItemProcessor.States: " + validate.MsgNoTerminalState},
		{"iterator", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"A","States":{` + loop + `}},"End":true}}}`,
			"States.M.Iterator.States: " + validate.MsgNoTerminalState},
		{"choice loop with a way out", loopDef, ""},
		{"catch leaves the loop", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"Next":"T"},"F":{"Type":"Fail"}}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile([]byte(c.def))
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidDefinition) || !strings.Contains(err.Error(), "\n"+c.want) {
				t.Fatalf("got %v\nwant %q", err, c.want)
			}
			// validate says the same.
			found := false
			for _, d := range validate.Definition([]byte(c.def)) {
				if d.Code == validate.CodeMissingEndState && d.String() == c.want {
					found = true
				}
			}
			if !found {
				t.Errorf("validate.Definition does not say %q: %v", c.want, validate.Definition([]byte(c.def)))
			}
		})
	}
}

func TestMaxDefinitionSize(t *testing.T) {
	def := `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`
	big := def + strings.Repeat(" ", MaxDefinitionBytes-len(def)+1)
	if _, err := Compile([]byte(big)); err != nil {
		t.Fatalf("no limit by default: %v", err)
	}
	if _, err := Compile([]byte(big[:MaxDefinitionBytes]), MaxDefinitionSize(MaxDefinitionBytes)); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	_, err := Compile([]byte(big), MaxDefinitionSize(MaxDefinitionBytes))
	if !errors.Is(err, ErrInvalidDefinition) || !strings.Contains(err.Error(), "1048577 bytes") || !strings.Contains(err.Error(), "1048576") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := Compile([]byte(def), MaxDefinitionSize(10)); err == nil || !strings.Contains(err.Error(), "limit of 10 bytes") {
		t.Fatalf("a smaller limit: %v", err)
	}
}

// TestMaxHistoryEvents: an endless loop fails with States.Runtime naming
// the limit, recorded or not, and its history holds exactly the limit; an
// execution that fits the limit exactly succeeds.
func TestMaxHistoryEvents(t *testing.T) {
	for _, history := range []bool{false, true} {
		ex, res := runDef(t, loopDef, `{}`, ExecutionConfig{MaxHistoryEvents: 100, History: history})
		assertFailed(t, res, StatusFailed, ErrRuntime)
		if !strings.Contains(res.Cause, "limit of 100 history events") {
			t.Errorf("history=%v: cause %q does not name the limit", history, res.Cause)
		}
		if got := ex.events.Load(); got > 100+2 {
			t.Errorf("history=%v: %d events counted, the loop went on past the limit", history, got)
		}
		if !history {
			continue
		}
		h := ex.History()
		if len(h) != 100 || h[99].Type != "ExecutionFailed" || h[99].ID != 100 {
			t.Fatalf("history of %d events, last %+v", len(h), h[len(h)-1])
		}
		if h[99].Details["cause"] != res.Cause {
			t.Errorf("ExecutionFailed cause %v", h[99].Details["cause"])
		}
	}
	// One Pass state: ExecutionStarted, PassStateEntered, PassStateExited,
	// ExecutionSucceeded.
	pass := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	for limit, want := range map[int64]Status{4: StatusSucceeded, 3: StatusFailed, 0: StatusSucceeded} {
		for _, history := range []bool{false, true} {
			_, res := runDef(t, pass, `{}`, ExecutionConfig{MaxHistoryEvents: limit, History: history})
			if res.Status != want {
				t.Errorf("limit %d history=%v: %s %s %s, want %s", limit, history, res.Status, res.Error, res.Cause, want)
			}
		}
	}
}

// TestMaxHistoryEventsConcurrent: loops inside Parallel branches and Map
// iterations are counted together and stopped together.
func TestMaxHistoryEventsConcurrent(t *testing.T) {
	inner := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"Done"},"Done":{"Type":"Succeed"}}}`
	inner2 := strings.NewReplacer(`"A"`, `"A2"`, `"C"`, `"C2"`, `"Done"`, `"Done2"`).Replace(inner)
	defs := map[string]string{
		"parallel": `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + inner + `,` + inner2 + `],"End":true}}}`,
		"map":      `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":` + inner + `,"End":true}}}`,
	}
	for name, def := range defs {
		for _, history := range []bool{false, true} {
			ex, res := runDef(t, def, `{"items":[{},{},{},{}]}`, ExecutionConfig{MaxHistoryEvents: 500, History: history})
			assertFailed(t, res, StatusFailed, ErrRuntime)
			if history && len(ex.History()) > 500 {
				t.Errorf("%s: %d events recorded, more than the limit", name, len(ex.History()))
			}
		}
	}
}

// TestMaxDuration: an endless loop of Wait states times out at the
// duration given, or the definition's TimeoutSeconds if it is shorter.
func TestMaxDuration(t *testing.T) {
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"C"},
	  "C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"W"}],"Default":"Done"},"Done":{"Type":"Succeed"}}}`
	for _, c := range []struct {
		timeout string
		max     time.Duration
		want    time.Duration
	}{
		{"", MaxExpressDuration, MaxExpressDuration},
		{`"TimeoutSeconds":120,`, MaxExpressDuration, 2 * time.Minute},
		{`"TimeoutSeconds":900,`, MaxExpressDuration, MaxExpressDuration},
	} {
		d := strings.Replace(def, "{", "{"+c.timeout, 1)
		ex, res := runDef(t, d, `{}`, ExecutionConfig{MaxDuration: c.max})
		assertFailed(t, res, StatusTimedOut, ErrTimeout)
		if got := ex.StopTime().Sub(ex.StartTime()); got != c.want {
			t.Errorf("%s: ran %v, want %v", c.timeout, got, c.want)
		}
	}
}

func TestExecutionConfigLimitsValidate(t *testing.T) {
	err := (&ExecutionConfig{MaxHistoryEvents: -1, MaxDuration: -time.Second}).Validate()
	if err == nil || !strings.Contains(err.Error(), "MaxHistoryEvents") || !strings.Contains(err.Error(), "MaxDuration") {
		t.Fatalf("Validate: %v", err)
	}
}

// TestMaxHistoryEventsDistributedMap: the iterations of a DISTRIBUTED Map
// are child executions on AWS, each with a limit of its own: many items fit
// where an INLINE Map would not, and a loop in one still ends.
func TestMaxHistoryEventsDistributedMap(t *testing.T) {
	var chain strings.Builder
	for i := range 10 {
		next := `"Next":"S` + string(rune('0'+i+1)) + `"`
		if i == 9 {
			next = `"End":true`
		}
		if i > 0 {
			chain.WriteByte(',')
		}
		chain.WriteString(`"S` + string(rune('0'+i)) + `":{"Type":"Pass",` + next + `}`)
	}
	proc := func(mode, states, start string) string {
		cfg := `{"Mode":"INLINE"}`
		if mode == "DISTRIBUTED" {
			cfg = `{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"}`
		}
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"ProcessorConfig":` + cfg +
			`,"StartAt":"` + start + `","States":{` + states + `}},"End":true}}}`
	}
	input := `{"items":[1,2,3,4,5,6,7,8,9,10]}`
	// 10 items of 22 events each: more than 100 in all, fewer in each.
	for _, history := range []bool{false, true} {
		_, res := runDef(t, proc("DISTRIBUTED", chain.String(), "S0"), input, ExecutionConfig{MaxHistoryEvents: 100, History: history})
		if res.Status != StatusSucceeded {
			t.Errorf("distributed, history=%v: %s %s %s", history, res.Status, res.Error, res.Cause)
		}
		_, res = runDef(t, proc("INLINE", chain.String(), "S0"), input, ExecutionConfig{MaxHistoryEvents: 100, History: history})
		assertFailed(t, res, StatusFailed, ErrRuntime)
	}
	loop := `"A":{"Type":"Pass","Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":false,"Next":"A"}],"Default":"Done"},"Done":{"Type":"Succeed"}`
	_, res := runDef(t, proc("DISTRIBUTED", loop, "A"), `{"items":[{},{}]}`, ExecutionConfig{MaxHistoryEvents: 100, History: true})
	assertFailed(t, res, StatusFailed, ErrRuntime)
	if !strings.Contains(res.Cause, "child execution reached the limit of 100 history events") {
		t.Errorf("cause %q", res.Cause)
	}
}

func TestHistoryRange(t *testing.T) {
	ex, res := runDef(t, loopDef, `{}`, ExecutionConfig{MaxHistoryEvents: 50, History: true})
	assertFailed(t, res, StatusFailed, ErrRuntime)
	all := ex.History()
	if ex.HistoryLen() != len(all) || len(all) != 50 {
		t.Fatalf("HistoryLen %d, History %d", ex.HistoryLen(), len(all))
	}
	for _, c := range []struct{ from, to, first, n int }{
		{0, 2, 1, 2}, {48, 60, 49, 2}, {-3, 1, 1, 1}, {50, 51, 0, 0}, {10, 5, 0, 0},
	} {
		got := ex.HistoryRange(c.from, c.to)
		if len(got) != c.n || (c.n > 0 && got[0].ID != int64(c.first)) {
			t.Errorf("HistoryRange(%d, %d) = %d events from id %v, want %d from %d", c.from, c.to, len(got), got, c.n, c.first)
		}
	}
}
