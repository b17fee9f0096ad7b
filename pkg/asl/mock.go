package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// MockConfig is an AWS Step Functions Local mock configuration:
//
//	{"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
//	 "MockedResponses": {"<response>": {"0": {"Return": ...}, "1-2": {"Throw": {"Error": ..., "Cause": ...}}}}}
//
// Response keys are zero-based invocation indexes of the state, or inclusive
// ranges "a-b".
type MockConfig struct {
	StateMachines   map[string]mockMachine               `json:"StateMachines"`
	MockedResponses map[string]map[string]mockedResponse `json:"MockedResponses"`
}

type mockMachine struct {
	TestCases map[string]map[string]string `json:"TestCases"`
}

type mockedResponse struct {
	Return json.RawMessage `json:"Return"`
	Throw  *struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"Throw"`
}

// ErrMockConfig is wrapped by errors about a mock configuration.
var ErrMockConfig = errors.New("asl: invalid mock configuration")

// ParseMockConfig decodes and checks a mock configuration.
func ParseMockConfig(raw []byte) (*MockConfig, error) {
	var mc MockConfig
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&mc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMockConfig, err)
	}
	var errs []error
	for name, resp := range mc.MockedResponses {
		for key, r := range resp {
			if _, _, err := parseRange(key); err != nil {
				errs = append(errs, fmt.Errorf("%w: MockedResponses.%s.%s: %w", ErrMockConfig, name, key, err))
			}
			if (r.Return == nil) == (r.Throw == nil) {
				errs = append(errs, fmt.Errorf("%w: MockedResponses.%s.%s: needs exactly one of Return and Throw", ErrMockConfig, name, key))
			}
		}
	}
	for smName, sm := range mc.StateMachines {
		for tc, states := range sm.TestCases {
			for st, resp := range states {
				if _, ok := mc.MockedResponses[resp]; !ok {
					errs = append(errs, fmt.Errorf("%w: StateMachines.%s.TestCases.%s.%s: no mocked response %q", ErrMockConfig, smName, tc, st, resp))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &mc, nil
}

func parseRange(key string) (int, int, error) {
	lo, hi, isRange := strings.Cut(key, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || a < 0 {
		return 0, 0, fmt.Errorf("bad invocation index %q", key)
	}
	if !isRange {
		return a, a, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil || b < a {
		return 0, 0, fmt.Errorf("bad invocation range %q", key)
	}
	return a, b, nil
}

// TestCase returns the mocks of one test case of one state machine.
func (mc *MockConfig) TestCase(machine, testCase string) (*MockTestCase, error) {
	sm, ok := mc.StateMachines[machine]
	if !ok {
		return nil, fmt.Errorf("%w: no state machine %q", ErrMockConfig, machine)
	}
	states, ok := sm.TestCases[testCase]
	if !ok {
		return nil, fmt.Errorf("%w: state machine %q has no test case %q", ErrMockConfig, machine, testCase)
	}
	tc := &MockTestCase{states: map[string][]mockEntry{}}
	for st, respName := range states {
		var entries []mockEntry
		for key, r := range mc.MockedResponses[respName] {
			lo, hi, _ := parseRange(key)
			e := mockEntry{lo: lo, hi: hi}
			if r.Throw != nil {
				e.err = NewError(r.Throw.Error, r.Throw.Cause)
			} else if ret, err := jsonv.Decode(r.Return); err != nil {
				return nil, fmt.Errorf("%w: %s.%s: %w", ErrMockConfig, respName, key, err)
			} else {
				e.ret = ret
			}
			entries = append(entries, e)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].lo < entries[j].lo })
		tc.states[st] = entries
	}
	return tc, nil
}

// MockTestCase answers the Task states of one test case. Safe for
// concurrent use; invocation counting is per execution.
type MockTestCase struct {
	states map[string][]mockEntry
}

type mockEntry struct {
	lo, hi int
	ret    any
	err    *Error
}

func (tc *MockTestCase) has(state string) bool {
	_, ok := tc.states[state]
	return ok
}

// respond returns the response for the n-th (zero-based) invocation of a
// state. Past the last configured index the last response repeats.
func (tc *MockTestCase) respond(state string, n int) (any, error) {
	entries := tc.states[state]
	if len(entries) == 0 {
		return nil, errorf(ErrTaskFailed, "no mocked response for state %q", state)
	}
	pick := entries[len(entries)-1]
	for _, e := range entries {
		if n >= e.lo && n <= e.hi {
			pick = e
			break
		}
	}
	if pick.err != nil {
		return nil, pick.err
	}
	return pick.ret, nil
}
