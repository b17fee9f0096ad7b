// Package aslbench compares cogniforge's ASL engine, as the whole process
// `cogniforge sfn run --fast-clock` (AWS's limits lifted), with
// aws-local-stepfunctions (npm), the fastest local Step Functions
// interpreter we know, run by node as a whole process too (runner.mjs in
// this directory).
//
// The workload is a long chain of Pass states (GenerateChain). Both
// interpreters must produce the same output, and the same output as the
// chain's own model of ASL's Parameters and ResultPath semantics; the
// benchmarks fail otherwise, so a number is only ever reported for a correct
// run.
//
// The tests and benchmarks install the npm package pinned in package.json
// and package-lock.json into node_modules (npm ci) when it is missing; a
// missing node or npm, or an unreachable registry, fails them with a message
// saying what to install. Nothing here is safe for concurrent use unless
// said otherwise; values are immutable once returned.
package aslbench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// ErrChainLength is returned by GenerateChain for a chain with no states.
var ErrChainLength = errors.New("aslbench: a chain needs at least one state")

// Chain is a state machine of N Pass states S0 → S1 → … → S(N-1), its
// execution input and the output ASL says an execution of it returns.
//
// State i passes Parameters {"x.$":"$.x","i":i,"prev.$":"$.r.i","k":"…"}:
// an object built from the input's $.x, the index of the last even state
// run before it (so the output proves the states ran in order) and
// constants. Even states write it at ResultPath $.r, odd states at the
// nested $.n.r, so both the top-level and the nested merge into the state's
// input are exercised every other transition.
type Chain struct {
	// States is the number of Pass states, and so the number of state
	// transitions (states entered) of one execution.
	States int
	// Definition is the ASL JSON of the state machine.
	Definition []byte
	// Input is the JSON execution input.
	Input []byte
	// Output is the expected execution output, decoded as encoding/json
	// decodes into an any (numbers are float64).
	Output any
}

// chainX is the value every state copies into its result through "x.$".
func chainX() map[string]any {
	return map[string]any{
		"id":    "order-42",
		"qty":   3.0,
		"price": 12.5,
		"tags":  []any{"a", "b"},
		"ok":    true,
		"note":  nil,
	}
}

// StateName is the name of state i of a chain of n states. Names are zero
// padded to one width so they sort in chain order.
func StateName(i, n int) string {
	w := len(strconv.Itoa(n - 1))
	return fmt.Sprintf("S%0*d", w, i)
}

// GenerateChain returns a chain of n Pass states. Its expected Output comes
// from a model of ASL's Pass semantics applied state by state (Parameters,
// then ResultPath into a copy of the state's input), not from any
// interpreter, so it is a third opinion on what both engines must return.
func GenerateChain(n int) (*Chain, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: got %d", ErrChainLength, n)
	}
	var def strings.Builder
	def.Grow(n * 150)
	fmt.Fprintf(&def, `{"Comment":"%d Pass states with Parameters and ResultPath","StartAt":%q,"States":{`, n, StateName(0, n))

	// The model: the execution's data after each state.
	data := map[string]any{
		"x": chainX(),
		"r": map[string]any{"i": -1.0},
		"n": map[string]any{"keep": "nested sibling"},
	}
	input, err := marshalJSON(data)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		name := StateName(i, n)
		k := "constant-" + name
		resultPath := "$.r"
		if i%2 == 1 {
			resultPath = "$.n.r"
		}
		if i > 0 {
			def.WriteByte(',')
		}
		fmt.Fprintf(&def, `%q:{"Type":"Pass","Parameters":{"x.$":"$.x","i":%d,"prev.$":"$.r.i","k":%q},"ResultPath":%q,`, name, i, k, resultPath)
		if i == n-1 {
			def.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&def, `"Next":%q}`, StateName(i+1, n))
		}

		result := map[string]any{
			"x":    chainX(),
			"i":    float64(i),
			"prev": data["r"].(map[string]any)["i"],
			"k":    k,
		}
		next := maps.Clone(data)
		if resultPath == "$.r" {
			next["r"] = result
		} else {
			nested := maps.Clone(data["n"].(map[string]any))
			nested["r"] = result
			next["n"] = nested
		}
		data = next
	}
	def.WriteString(`}}`)
	return &Chain{States: n, Definition: []byte(def.String()), Input: input, Output: data}, nil
}

// WriteFiles writes the definition and the input into dir (which must
// exist) as chain-N.asl.json and chain-N.input.json and returns their paths.
func (c *Chain) WriteFiles(dir string) (definition, input string, err error) {
	definition = filepath.Join(dir, fmt.Sprintf("chain-%d.asl.json", c.States))
	input = filepath.Join(dir, fmt.Sprintf("chain-%d.input.json", c.States))
	if err := os.WriteFile(definition, c.Definition, 0o644); err != nil {
		return "", "", fmt.Errorf("aslbench: write definition: %w", err)
	}
	if err := os.WriteFile(input, c.Input, 0o644); err != nil {
		return "", "", fmt.Errorf("aslbench: write input: %w", err)
	}
	return definition, input, nil
}

// ErrOutputMismatch is returned by CheckOutput for an output that is not
// the chain's expected output.
var ErrOutputMismatch = errors.New("aslbench: execution output differs from the expected output")

// CheckOutput decodes raw, one JSON value as an interpreter printed it, and
// reports whether it is the chain's expected Output. JSON equality is
// semantic: key order and number spelling do not matter.
func (c *Chain) CheckOutput(raw []byte) error {
	var got any
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&got); err != nil {
		return fmt.Errorf("aslbench: output is not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("aslbench: output has trailing data after the JSON value")
	}
	if !reflect.DeepEqual(got, c.Output) {
		want, _ := json.Marshal(c.Output)
		norm, _ := json.Marshal(got)
		return fmt.Errorf("%w:\n got: %s\nwant: %s", ErrOutputMismatch, norm, want)
	}
	return nil
}

func marshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("aslbench: encode: %w", err)
	}
	return b, nil
}
