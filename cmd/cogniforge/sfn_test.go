package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(t *testing.T, args ...string) (map[string]any, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), args, strings.NewReader(`{"from":"stdin"}`), &stdout, &stderr)
	var out map[string]any
	if stdout.Len() > 0 && args[1] == "run" {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout.String())
		}
	}
	return out, code, stdout.String() + stderr.String()
}

func TestSFNRun(t *testing.T) {
	dir := t.TempDir()
	ok := writeFile(t, dir, "orders.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"sm.$":"$$.StateMachine.Name","in.$":"$"},"End":true}}}`)
	fail := writeFile(t, dir, "fail.json", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"because"}}}`)
	noCause := writeFile(t, dir, "nocause.json", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope"}}}`)
	bad := writeFile(t, dir, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Missing"}}}`)
	input := writeFile(t, dir, "in.json", `{"n":1}`)

	tests := []struct {
		name   string
		args   []string
		code   int
		status string
		check  func(t *testing.T, out map[string]any)
	}{
		{"inline input and default name", []string{"sfn", "run", "--definition", ok, "--input", `{"a":[1]}`}, 0, "SUCCEEDED", func(t *testing.T, out map[string]any) {
			if o := out["output"].(map[string]any); o["sm"] != "orders" || out["error"] != nil || out["cause"] != nil {
				t.Errorf("out %v", out)
			}
		}},
		{"@file input and --name", []string{"sfn", "run", "--definition", ok, "--input", "@" + input, "--name", "custom"}, 0, "SUCCEEDED", func(t *testing.T, out map[string]any) {
			o := out["output"].(map[string]any)
			if o["sm"] != "custom" || o["in"].(map[string]any)["n"] != 1.0 {
				t.Errorf("out %v", out)
			}
		}},
		{"stdin input", []string{"sfn", "run", "--definition", ok, "--input", "@-"}, 0, "SUCCEEDED", func(t *testing.T, out map[string]any) {
			if out["output"].(map[string]any)["in"].(map[string]any)["from"] != "stdin" {
				t.Errorf("out %v", out)
			}
		}},
		{"failure", []string{"sfn", "run", "--definition", fail, "--input", "{}"}, 1, "FAILED", func(t *testing.T, out map[string]any) {
			if out["error"] != "Nope" || out["cause"] != "because" || out["output"] != nil {
				t.Errorf("out %v", out)
			}
		}},
		{"failure without cause", []string{"sfn", "run", "--definition", noCause}, 1, "FAILED", func(t *testing.T, out map[string]any) {
			if out["error"] != "Nope" || out["cause"] != nil {
				t.Errorf("out %v", out)
			}
		}},
		{"history", []string{"sfn", "run", "--definition", ok, "--history", "--fast-clock"}, 0, "SUCCEEDED", func(t *testing.T, out map[string]any) {
			h, _ := out["history"].([]any)
			if len(h) != 4 || h[0].(map[string]any)["type"] != "ExecutionStarted" || h[3].(map[string]any)["type"] != "ExecutionSucceeded" {
				t.Errorf("history %v", h)
			}
		}},
		{"invalid definition", []string{"sfn", "run", "--definition", bad}, 2, "", nil},
		{"invalid input", []string{"sfn", "run", "--definition", ok, "--input", "{nope"}, 2, "", nil},
		{"missing definition", []string{"sfn", "run", "--input", "{}"}, 2, "", nil},
		{"mock without test case", []string{"sfn", "run", "--definition", ok, "--mock-config", input}, 2, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code, text := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, text)
			}
			if tc.status != "" && out["status"] != tc.status {
				t.Fatalf("status %v: %s", out["status"], text)
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
}

func TestSFNRunMockConfig(t *testing.T) {
	dir := t.TempDir()
	def := writeFile(t, dir, "checkout.asl.json", `{"StartAt":"Charge","States":{"Charge":{"Type":"Task",
		"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"charge","Payload.$":"$"},
		"OutputPath":"$.Payload","Catch":[{"ErrorEquals":["Card.Declined"],"Next":"Declined"}],"End":true},
		"Declined":{"Type":"Fail","Error":"CheckoutFailed"}}}`)
	mock := writeFile(t, dir, "mock.json", `{"StateMachines":{"checkout":{"TestCases":{
		"Happy":{"Charge":"OK"},"Declined":{"Charge":"Declined"}}}},
		"MockedResponses":{"OK":{"0":{"Return":{"StatusCode":200,"Payload":{"paid":true}}}},
		"Declined":{"0":{"Throw":{"Error":"Card.Declined","Cause":"insufficient funds"}}}}}`)
	out, code, text := runCLI(t, "sfn", "run", "--definition", def, "--input", "{}", "--mock-config", mock, "--test-case", "Happy")
	if code != 0 || out["output"].(map[string]any)["paid"] != true {
		t.Fatalf("happy: %d %s", code, text)
	}
	out, code, text = runCLI(t, "sfn", "run", "--definition", def, "--input", "{}", "--mock-config", mock, "--test-case", "Declined")
	if code != 1 || out["error"] != "CheckoutFailed" {
		t.Fatalf("declined: %d %s", code, text)
	}
	if _, code, _ = runCLI(t, "sfn", "run", "--definition", def, "--mock-config", mock, "--test-case", "Nope"); code != 2 {
		t.Fatalf("unknown test case: exit %d", code)
	}
}

func TestSFNValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`)
	bad := writeFile(t, dir, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Missing"}}}`)
	if _, code, text := runCLI(t, "sfn", "validate", good); code != 0 {
		t.Fatalf("good: %d %s", code, text)
	}
	_, code, text := runCLI(t, "sfn", "validate", good, bad)
	if code != 1 || !strings.Contains(text, "Missing") {
		t.Fatalf("bad: %d %s", code, text)
	}
	if _, code, _ := runCLI(t, "sfn", "validate"); code != 2 {
		t.Fatalf("no files: %d", code)
	}
}

// The printed output keeps AWS's key order: the input's document order, a
// template's order, and a ResultPath field appended last.
func TestSFNRunPrintsKeysInAWSOrder(t *testing.T) {
	dir := t.TempDir()
	def := writeFile(t, dir, "order.asl.json", `{"StartAt":"A","States":{"A":{"Type":"Pass",
		"Parameters":{"zeta.$":"$.z","alpha":"<&>"},"ResultPath":"$.added","End":true}}}`)
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"sfn", "run", "--definition", def, "--input", `{"z":1,"m":{"y":2,"b":3},"a":4}`},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	want := `"output":{"z":1,"m":{"y":2,"b":3},"a":4,"added":{"zeta":1,"alpha":"<&>"}}`
	if !strings.Contains(stdout.String(), want) {
		t.Fatalf("stdout = %s\nwant it to contain %s", stdout.String(), want)
	}
}
