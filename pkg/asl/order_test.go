package asl

import (
	"context"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// Objects keep AWS's order through every way the engine builds them; the
// output is compared as text so that order counts.
func TestObjectOrder(t *testing.T) {
	echo := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		if req.Service == "s3" {
			return "zeta,alpha\n1,2\n", nil // CSV: members in header order
		}
		return req.Input, nil
	})
	tests := []struct {
		name, def, input, want string
	}{
		{"input document order passes through",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
			`{"z":1,"a":{"y":2,"b":3},"m":[{"q":1,"c":2}]}`, `{"z":1,"a":{"y":2,"b":3},"m":[{"q":1,"c":2}]}`},
		{"Parameters in template order, literals too",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"z.$":"$.v","a":{"y":1,"b":2},"m.$":"$$.State.Name"},"End":true}}}`,
			`{"v":0}`, `{"z":0,"a":{"y":1,"b":2},"m":"A"}`},
		{"ResultPath replaces in place and appends new keys",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"r","ResultPath":"$.z","Next":"B"},
			"B":{"Type":"Pass","Result":{"k2":1,"k1":2},"ResultPath":"$.new.deep","End":true}}}`,
			`{"z":1,"a":2}`, `{"z":"r","a":2,"new":{"deep":{"k2":1,"k1":2}}}`},
		{"ResultSelector and OutputPath",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",
			"ResultSelector":{"w.$":"$.b","c.$":"$.a"},"ResultPath":"$.sel","OutputPath":"$.sel","End":true}}}`,
			`{"b":1,"a":2}`, `{"w":1,"c":2}`},
		{"Map ItemSelector and context item value",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{"items":[{"y":1,"x":2}]}`, `[{"v":{"y":1,"x":2},"i":0}]`},
		{"Parallel branches keep each output's order",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"q":1,"b":2},"End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}}`,
			`{"y":1,"c":2}`, `[{"q":1,"b":2},{"y":1,"c":2}]`},
		{"StringToJson keeps the text's order",
			`{"StartAt":"F","States":{"F":{"Type":"Pass","Parameters":{"x.$":"States.StringToJson($.bad)"},"Next":"E"},
			"E":{"Type":"Pass","End":true}}}`,
			`{"bad":"{\"z\":1,\"a\":2}"}`, `{"x":{"z":1,"a":2}}`},
		{"lambda:invoke response shape in AWS order",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"FunctionName":"f","Payload":{"z":1,"a":2}},"ResultSelector":{"p.$":"$.Payload","keys.$":"States.JsonToString($.SdkHttpMetadata.HttpHeaders)"},"End":true}}}`,
			`{}`, `{"p":{"z":1,"a":2},"keys":"{\"Content-Type\":\"application/json\",\"X-Amz-Executed-Version\":\"$LATEST\"}"}`},
		{"CSV items in header order",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{}`, `[{"zeta":"1","alpha":"2"}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, res := runDef(t, tc.def, tc.input, ExecutionConfig{Invoker: echo})
			if res.Status != StatusSucceeded {
				t.Fatalf("status %s %s: %s", res.Status, res.Error, res.Cause)
			}
			if got := jsonv.Marshal(res.Output); got != tc.want {
				t.Fatalf("output %s\nwant   %s", got, tc.want)
			}
		})
	}
}

// A caught error's output is {"Error": ..., "Cause": ...} in that order.
func TestCatchOutputOrder(t *testing.T) {
	def := `{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"S"}],"End":true},
		"S":{"Type":"Pass","Parameters":{"s.$":"States.JsonToString($.err)"},"End":true}}}`
	fail := TaskInvokerFunc(func(context.Context, TaskRequest) (any, error) { return nil, NewError("Boom", "why") })
	_, res := runDef(t, def, `{}`, ExecutionConfig{Invoker: fail})
	if got := jsonv.Marshal(res.Output); got != `{"s":"{\"Error\":\"Boom\",\"Cause\":\"why\"}"}` {
		t.Fatalf("output %s", got)
	}
}

// Plain Go maps from callers and invokers are accepted; their keys, whose
// order Go does not keep, come out sorted.
func TestPlainMapsAreAccepted(t *testing.T) {
	sm := compile(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultPath":"$.r","End":true}}}`)
	inv := TaskInvokerFunc(func(_ context.Context, req TaskRequest) (any, error) {
		return map[string]any{"z": 1, "a": []any{map[string]any{"y": true, "b": int64(2)}}}, nil
	})
	_, res, err := sm.Run(context.Background(), ExecutionConfig{Input: map[string]any{"m": 1.0, "c": "x"}, Invoker: inv})
	if err != nil || res.Status != StatusSucceeded {
		t.Fatal(err, res)
	}
	if got := jsonv.Marshal(res.Output); got != `{"c":"x","m":1,"r":{"a":[{"b":2,"y":true}],"z":1}}` {
		t.Fatalf("output %s", got)
	}
}
