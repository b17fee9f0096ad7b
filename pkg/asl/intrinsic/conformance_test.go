package intrinsic_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// conformanceCase is the part of a /work/shared/conformance/asl case these
// tests use. testdata/conformance holds copies of the intrinsic cases.
type conformanceCase struct {
	Name       string `json:"name"`
	Definition struct {
		StartAt string                    `json:"StartAt"`
		States  map[string]map[string]any `json:"States"`
	} `json:"definition"`
	Input    any `json:"input"`
	Expected struct {
		Status string `json:"status"`
		Output any    `json:"output"`
		Error  string `json:"error"`
	} `json:"expected"`
}

// pathResolver resolves the simple paths the cases use: $, $.a.b and $.a[0].
func pathResolver(doc any) intrinsic.Resolver {
	doc = jsonv.FromAny(doc)
	return func(path string) (any, error) {
		if !strings.HasPrefix(path, "$") {
			return nil, fmt.Errorf("not a path: %s", path)
		}
		cur := doc
		rest := path[1:]
		for rest != "" {
			switch rest[0] {
			case '.':
				rest = rest[1:]
				end := strings.IndexAny(rest, ".[")
				if end < 0 {
					end = len(rest)
				}
				m, ok := cur.(*jsonv.Object)
				if !ok {
					return nil, fmt.Errorf("path %s: not an object", path)
				}
				v, ok := m.Get(rest[:end])
				if !ok {
					return nil, fmt.Errorf("path %s: no field %q", path, rest[:end])
				}
				cur, rest = v, rest[end:]
			case '[':
				end := strings.IndexByte(rest, ']')
				i, err := strconv.Atoi(rest[1:end])
				arr, ok := cur.([]any)
				if err != nil || !ok || i >= len(arr) {
					return nil, fmt.Errorf("path %s: bad index", path)
				}
				cur, rest = arr[i], rest[end+1:]
			default:
				return nil, fmt.Errorf("path %s: bad syntax", path)
			}
		}
		return cur, nil
	}
}

// evalParameters builds a Pass state's Parameters the way the interpreter
// will: "key.$" values are intrinsics or paths, other values are copied.
func evalParameters(params map[string]any, input any) (map[string]any, error) {
	out := map[string]any{}
	resolve := pathResolver(input)
	for k, v := range params {
		name, dynamic := strings.CutSuffix(k, ".$")
		if !dynamic {
			out[k] = v
			continue
		}
		s := v.(string)
		if intrinsic.IsIntrinsic(s) {
			e, err := intrinsic.Parse(s)
			if err != nil {
				return nil, err
			}
			r, err := e.Eval(resolve)
			if err != nil {
				return nil, err
			}
			out[name] = r
			continue
		}
		r, err := resolve(s)
		if err != nil {
			return nil, err
		}
		out[name] = r
	}
	return out, nil
}

// evalRule evaluates the few Choice comparisons the intrinsic cases use.
func evalRule(t *testing.T, rule map[string]any, input any) bool {
	t.Helper()
	if and, ok := rule["And"].([]any); ok {
		for _, r := range and {
			if !evalRule(t, r.(map[string]any), input) {
				return false
			}
		}
		return true
	}
	v, err := pathResolver(input)(rule["Variable"].(string))
	if err != nil {
		return false
	}
	n, isNum := v.(float64)
	switch {
	case rule["IsNumeric"] != nil:
		return isNum == rule["IsNumeric"].(bool)
	case rule["NumericEquals"] != nil:
		return isNum && n == rule["NumericEquals"].(float64)
	case rule["NumericGreaterThanEquals"] != nil:
		return isNum && n >= rule["NumericGreaterThanEquals"].(float64)
	case rule["NumericLessThanEquals"] != nil:
		return isNum && n <= rule["NumericLessThanEquals"].(float64)
	}
	t.Fatalf("rule %v not supported by this test", rule)
	return false
}

// TestConformanceCases runs the intrinsic conformance cases through a tiny
// Pass/Choice/Fail walker, so the functions are checked against the expected
// AWS results before the interpreter exists.
func TestConformanceCases(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance cases in testdata/conformance: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c conformanceCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			data := c.Input
			name := c.Definition.StartAt
			status, errName := "SUCCEEDED", ""
		walk:
			for steps := 0; ; steps++ {
				if steps > 20 {
					t.Fatal("too many steps")
				}
				st := c.Definition.States[name]
				switch st["Type"] {
				case "Pass":
					out, err := evalParameters(st["Parameters"].(map[string]any), data)
					if err != nil {
						var ie *intrinsic.Error
						if !errors.As(err, &ie) {
							t.Fatalf("error %v is not an *intrinsic.Error", err)
						}
						status, errName = "FAILED", ie.Name
						t.Logf("cause: %s", ie.Cause)
						break walk
					}
					data = out
					if st["End"] == true {
						break walk
					}
					name = st["Next"].(string)
				case "Choice":
					next, _ := st["Default"].(string)
					for _, r := range st["Choices"].([]any) {
						if evalRule(t, r.(map[string]any), data) {
							next = r.(map[string]any)["Next"].(string)
							break
						}
					}
					name = next
				case "Fail":
					status, errName = "FAILED", st["Error"].(string)
					break walk
				default:
					t.Fatalf("state type %v not supported by this test", st["Type"])
				}
			}
			if status != c.Expected.Status || errName != c.Expected.Error {
				t.Fatalf("status %s error %q, want %s %q", status, errName, c.Expected.Status, c.Expected.Error)
			}
			if status == "SUCCEEDED" && !jsonv.Equal(data, c.Expected.Output) {
				got, _ := json.Marshal(jsonv.ToAny(data))
				want, _ := json.Marshal(c.Expected.Output)
				t.Fatalf("output\n got %s\nwant %s", got, want)
			}
		})
	}
}
