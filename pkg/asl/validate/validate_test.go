package validate_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

// pass wraps one state as the whole machine: StartAt "S".
func one(state string) string {
	return `{"StartAt":"S","States":{"S":` + state + `}}`
}

// two is a machine S -> T where T is a Succeed state.
func two(state string) string {
	return `{"StartAt":"S","States":{"S":` + state + `,"T":{"Type":"Succeed"}}}`
}

func TestInvalidDefinitions(t *testing.T) {
	cases := []struct {
		name string
		def  string
		want []string // "path: message substring", one per diagnostic, in order
	}{
		// Document.
		{"not JSON", `{"StartAt":`, []string{"definition is not valid JSON"}},
		{"not an object", `[1]`, []string{"definition must be a JSON object, got an array"}},
		{"trailing text", `{} {}`, []string{"definition is not valid JSON: text after the JSON value"}},
		{"too deep", strings.Repeat("[", 2000) + strings.Repeat("]", 2000), []string{"nested more than 1000 deep"}},
		{"duplicate state", `{"StartAt":"S","States":{"S":{"Type":"Succeed"},"S":{"Type":"Succeed"}}}`, []string{"States.S: field appears more than once"}},
		{"duplicate field", one(`{"Type":"Pass","Next":"S","Next":"T","End":true}`), []string{"States.S: has both Next and End", `States.S.Next: field appears more than once`}},
		{"unknown top field", `{"StartAt":"S","Foo":1,"States":{"S":{"Type":"Succeed"}}}`, []string{`field "Foo" is not allowed in a state machine`}},
		{"StartAt missing", `{"States":{"S":{"Type":"Succeed"}}}`, []string{"StartAt: is required"}},
		{"StartAt not a string", `{"StartAt":1,"States":{"S":{"Type":"Succeed"}}}`, []string{"StartAt: must be a string"}},
		{"StartAt unknown", `{"StartAt":"X","States":{"S":{"Type":"Succeed"}}}`, []string{`StartAt: no state named "X"`}},
		{"States missing", `{"StartAt":"S"}`, []string{"States: is required"}},
		{"States empty", `{"StartAt":"S","States":{}}`, []string{`StartAt: no state named "S"`, "States: must have at least one state"}},
		{"top TimeoutSeconds", `{"StartAt":"S","TimeoutSeconds":0,"States":{"S":{"Type":"Succeed"}}}`, []string{"TimeoutSeconds: must be between 1 and 99999999"}},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Succeed"}}}`, []string{"QueryLanguage: JSONata is not supported"}},
		{"Comment not a string", `{"Comment":1,"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`, []string{"Comment: must be a string"}},

		// States in general.
		{"state not an object", one(`1`), []string{"States.S: state must be an object"}},
		{"Type missing", one(`{"End":true}`), []string{"States.S.Type: is required"}},
		{"Type unknown", one(`{"Type":"Lambda","End":true}`), []string{`States.S.Type: unknown state type "Lambda"`}},
		{"name too long", `{"StartAt":"` + strings.Repeat("x", 81) + `","States":{"` + strings.Repeat("x", 81) + `":{"Type":"Succeed"}}}`,
			[]string{"States." + strings.Repeat("x", 81) + ": state name is 81 characters long, more than 80"}},
		{"unknown field", one(`{"Type":"Pass","Foo":1,"End":true}`), []string{`States.S: field "Foo" is not allowed in a Pass state`}},
		{"Resource in Pass", one(`{"Type":"Pass","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true}`), []string{`States.S: field "Resource" is not allowed in a Pass state`}},
		{"Retry in Pass", one(`{"Type":"Pass","Retry":[],"End":true}`), []string{`States.S: field "Retry" is not allowed in a Pass state`}},
		{"Next in Choice", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"T"}],"Next":"T"}`), []string{`States.S: field "Next" is not allowed in a Choice state`}},
		{"End in Succeed", one(`{"Type":"Succeed","End":true}`), []string{`States.S: field "End" is not allowed in a Succeed state`}},
		{"Next in Fail", two(`{"Type":"Fail","Next":"T"}`), []string{`States.S: field "Next" is not allowed in a Fail state`, "States.T: state is not reachable"}},
		{"ResultSelector in Pass", one(`{"Type":"Pass","ResultSelector":{},"End":true}`), []string{`States.S: field "ResultSelector" is not allowed in a Pass state`}},
		{"state QueryLanguage", one(`{"Type":"Pass","QueryLanguage":"JSONata","End":true}`), []string{`States.S.QueryLanguage: must be "JSONPath"`}},

		// Transitions.
		{"no Next or End", one(`{"Type":"Pass"}`), []string{"States.S: needs Next or End: true"}},
		{"End false", one(`{"Type":"Pass","End":false}`), []string{"States.S: needs Next or End: true"}},
		{"End not boolean", one(`{"Type":"Pass","End":"yes"}`), []string{"States.S.End: must be true, got a string"}},
		{"Next and End", two(`{"Type":"Pass","Next":"T","End":true}`), []string{"States.S: has both Next and End", "States.T: state is not reachable"}},
		{"Next unknown", one(`{"Type":"Pass","Next":"Nowhere"}`), []string{`States.S.Next: no state named "Nowhere"`}},
		{"Next not a string", one(`{"Type":"Pass","Next":3}`), []string{"States.S.Next: must be a state name (string), got a number"}},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Pass","Next":"A"}}}`, []string{`States.B: state is not reachable from StartAt "A"`}},
		{"Default unknown", one(`{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"S"}],"Default":"X"}`), []string{`States.S.Default: no state named "X"`}},
		{"Catch Next unknown", one(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"X"}],"End":true}`), []string{`States.S.Catch[0].Next: no state named "X"`}},
		{"Next leaves a branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"P"}}}],"End":true}}}`,
			[]string{`States.P.Branches[0].States.B.Next: no state named "P" in this scope`}},
		{"duplicate name across branches", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"End":true}}}`,
			[]string{`States.P.Branches[1].States.B: state name "B" is already used at States.P.Branches[0].States.B`}},

		// Paths.
		{"InputPath syntax", one(`{"Type":"Pass","InputPath":"a.b","End":true}`), []string{"States.S.InputPath: \"a.b\" is not a JSONPath"}},
		{"OutputPath bracket", one(`{"Type":"Pass","OutputPath":"$.a[0","End":true}`), []string{"States.S.OutputPath: \"$.a[0\" is not a valid JSONPath: expected ]"}},
		{"OutputPath empty name", one(`{"Type":"Pass","OutputPath":"$.a..","End":true}`), []string{"States.S.OutputPath: \"$.a..\" is not a valid JSONPath: expected a member name after .."}},
		{"InputPath number", one(`{"Type":"Pass","InputPath":1,"End":true}`), []string{"States.S.InputPath: must be a JSONPath string, got a number"}},
		{"ResultPath wildcard", one(`{"Type":"Pass","ResultPath":"$.a[*]","End":true}`), []string{"States.S.ResultPath: \"$.a[*]\" is not a reference path"}},
		{"ResultPath filter", one(`{"Type":"Pass","ResultPath":"$.a[?(@.b)]","End":true}`), []string{"States.S.ResultPath: \"$.a[?(@.b)]\" is not a reference path"}},
		{"ResultPath descent", one(`{"Type":"Pass","ResultPath":"$..a","End":true}`), []string{"recursive descent"}},
		{"ResultPath slice", one(`{"Type":"Pass","ResultPath":"$.a[0:2]","End":true}`), []string{"slices"}},
		{"ResultPath context", one(`{"Type":"Pass","ResultPath":"$$.Execution","End":true}`), []string{"States.S.ResultPath: \"$$.Execution\": ResultPath cannot write to the context object"}},
		{"ItemsPath syntax", one(`{"Type":"Map","ItemsPath":"$.a[x]","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), []string{`States.S.ItemsPath: "$.a[x]" is not a valid JSONPath: unexpected 'x' in brackets`}},

		// Payload templates.
		{"Parameters not an object", one(`{"Type":"Pass","Parameters":[1],"End":true}`), []string{"States.S.Parameters: must be an object, got an array"}},
		{"dollar key not a string", one(`{"Type":"Pass","Parameters":{"x.$":1},"End":true}`), []string{"States.S.Parameters.x.$: a field ending in .$ must have a string value"}},
		{"dollar key bad path", one(`{"Type":"Pass","Parameters":{"x.$":"$.a["},"End":true}`), []string{`States.S.Parameters.x.$: "$.a[" is not a valid JSONPath: unclosed [`}},
		{"dollar key plain string", one(`{"Type":"Pass","Parameters":{"x.$":"hello"},"End":true}`), []string{`States.S.Parameters.x.$: "hello" is neither a JSONPath`}},
		{"dollar key nested", one(`{"Type":"Pass","Parameters":{"a":{"b":[{"c.$":"nope"}]}},"End":true}`), []string{`States.S.Parameters.a.b[0].c.$: "nope" is neither`}},
		{"dollar key clash", one(`{"Type":"Pass","Parameters":{"x":1,"x.$":"$"},"End":true}`), []string{`States.S.Parameters.x.$: field "x" is also set without .$`}},
		{"intrinsic syntax", one(`{"Type":"Pass","Parameters":{"x.$":"States.Format('{}', $.a"},"End":true}`), []string{"States.S.Parameters.x.$: invalid intrinsic function"}},
		{"intrinsic arity", one(`{"Type":"Pass","Parameters":{"x.$":"States.ArrayLength($.a, $.b)"},"End":true}`), []string{"States.S.Parameters.x.$: States.ArrayLength takes 1 argument(s), got 2"}},
		{"intrinsic unknown", one(`{"Type":"Pass","Parameters":{"x.$":"States.Frobnicate($.a)"},"End":true}`), []string{"unknown function States.Frobnicate"}},
		{"intrinsic placeholders", one(`{"Type":"Pass","Parameters":{"x.$":"States.Format('{} {}', $.a)"},"End":true}`), []string{"has 2 {} placeholder(s) but 1 value(s)"}},
		{"intrinsic path arg", one(`{"Type":"Pass","Parameters":{"x.$":"States.Array($.a..)"},"End":true}`), []string{`States.S.Parameters.x.$: "$.a.." is not a valid JSONPath: expected a member name after ..`}},
		{"ResultSelector bad", one(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultSelector":{"r.$":"x"},"End":true}`), []string{`States.S.ResultSelector.r.$: "x" is neither`}},
		{"Assign bad", one(`{"Type":"Pass","Assign":{"r.$":"x"},"End":true}`), []string{`States.S.Assign.r.$: "x" is neither`}},

		// Retry and Catch.
		{"Retry not array", one(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":{},"End":true}`), []string{"States.S.Retry: must be an array of retriers"}},
		{"ErrorEquals missing", one(task(`"Retry":[{"MaxAttempts":1}]`)), []string{"States.S.Retry[0].ErrorEquals: is required"}},
		{"ErrorEquals empty", one(task(`"Retry":[{"ErrorEquals":[]}]`)), []string{"States.S.Retry[0].ErrorEquals: must be a non-empty array"}},
		{"ErrorEquals not strings", one(task(`"Retry":[{"ErrorEquals":[1]}]`)), []string{"States.S.Retry[0].ErrorEquals[0]: must be a string"}},
		{"States.ALL not alone", one(task(`"Retry":[{"ErrorEquals":["States.ALL","X"]}]`)), []string{"States.S.Retry[0].ErrorEquals: States.ALL must appear alone"}},
		{"States.ALL not last retrier", one(task(`"Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}]`)), []string{"States.S.Retry[0]: a retrier with States.ALL must be the last one"}},
		{"MaxAttempts negative", one(task(`"Retry":[{"ErrorEquals":["X"],"MaxAttempts":-1}]`)), []string{"States.S.Retry[0].MaxAttempts: must be between 0 and 99999999, got -1"}},
		{"MaxAttempts fraction", one(task(`"Retry":[{"ErrorEquals":["X"],"MaxAttempts":1.5}]`)), []string{"States.S.Retry[0].MaxAttempts: must be an integer, got 1.5"}},
		{"IntervalSeconds zero", one(task(`"Retry":[{"ErrorEquals":["X"],"IntervalSeconds":0}]`)), []string{"States.S.Retry[0].IntervalSeconds: must be between 1 and"}},
		{"BackoffRate below 1", one(task(`"Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5}]`)), []string{"States.S.Retry[0].BackoffRate: must be a number >= 1.0, got 0.5"}},
		{"JitterStrategy", one(task(`"Retry":[{"ErrorEquals":["X"],"JitterStrategy":"SOME"}]`)), []string{`States.S.Retry[0].JitterStrategy: must be "FULL" or "NONE", got "SOME"`}},
		{"MaxDelaySeconds zero", one(task(`"Retry":[{"ErrorEquals":["X"],"MaxDelaySeconds":0}]`)), []string{"States.S.Retry[0].MaxDelaySeconds: must be between 1 and 31622400"}},
		{"retrier unknown field", one(task(`"Retry":[{"ErrorEquals":["X"],"Next":"S"}]`)), []string{`States.S.Retry[0]: field "Next" is not allowed in a retrier`}},
		{"Catch not array", one(task(`"Catch":"x"`)), []string{"States.S.Catch: must be an array of catchers"}},
		{"Catch Next missing", one(task(`"Catch":[{"ErrorEquals":["X"]}]`)), []string{"States.S.Catch[0].Next: is required"}},
		{"States.ALL not last catcher", one(task(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"},{"ErrorEquals":["X"],"Next":"S"}]`)), []string{"States.S.Catch[0]: a catcher with States.ALL must be the last one"}},
		{"Catch ResultPath", one(task(`"Catch":[{"ErrorEquals":["X"],"Next":"S","ResultPath":"$.a[*]"}]`)), []string{"States.S.Catch[0].ResultPath: \"$.a[*]\" is not a reference path"}},
		{"catcher unknown field", one(task(`"Catch":[{"ErrorEquals":["X"],"Next":"S","MaxAttempts":1}]`)), []string{`States.S.Catch[0]: field "MaxAttempts" is not allowed in a catcher`}},

		// Task.
		{"Resource missing", one(`{"Type":"Task","End":true}`), []string{"States.S.Resource: is required"}},
		{"Resource not ARN", one(`{"Type":"Task","Resource":"my-function","End":true}`), []string{`States.S.Resource: "my-function" is not an ARN`}},
		{"Resource not string", one(`{"Type":"Task","Resource":{},"End":true}`), []string{"States.S.Resource: must be an ARN string, got an object"}},
		{"TimeoutSeconds zero", one(task(`"TimeoutSeconds":0`)), []string{"States.S.TimeoutSeconds: must be between 1 and 99999999, got 0"}},
		{"TimeoutSeconds string", one(task(`"TimeoutSeconds":"10"`)), []string{`States.S.TimeoutSeconds: must be an integer, got "10"`}},
		{"HeartbeatSeconds >= Timeout", one(task(`"TimeoutSeconds":10,"HeartbeatSeconds":10`)), []string{"States.S.HeartbeatSeconds: must be smaller than TimeoutSeconds (10)"}},
		{"Timeout and TimeoutPath", one(task(`"TimeoutSeconds":10,"TimeoutSecondsPath":"$.t"`)), []string{"States.S: has TimeoutSeconds and TimeoutSecondsPath; only one"}},
		{"Heartbeat and HeartbeatPath", one(task(`"HeartbeatSeconds":1,"HeartbeatSecondsPath":"$.h"`)), []string{"States.S: has HeartbeatSeconds and HeartbeatSecondsPath; only one"}},
		{"TimeoutSecondsPath syntax", one(task(`"TimeoutSecondsPath":"$.t[*]"`)), []string{"States.S.TimeoutSecondsPath: \"$.t[*]\" is not a reference path"}},

		// Wait.
		{"Wait nothing", one(`{"Type":"Wait","End":true}`), []string{"States.S: a Wait state needs one of Seconds"}},
		{"Wait two", one(`{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}`), []string{"States.S: has Seconds and SecondsPath; only one"}},
		{"Wait negative", one(`{"Type":"Wait","Seconds":-1,"End":true}`), []string{"States.S.Seconds: must be between 0 and 99999999"}},
		{"Wait Timestamp", one(`{"Type":"Wait","Timestamp":"2016-03-14 01:59:00","End":true}`), []string{"States.S.Timestamp: must be an RFC 3339 timestamp"}},
		{"Wait Timestamp lower z", one(`{"Type":"Wait","Timestamp":"2016-03-14T01:59:00z","End":true}`), []string{"States.S.Timestamp: must be an RFC 3339 timestamp"}},
		{"Wait Timestamp month 13", one(`{"Type":"Wait","Timestamp":"2016-13-14T01:59:00Z","End":true}`), []string{"States.S.Timestamp: must be an RFC 3339 timestamp"}},
		{"Wait TimestampPath", one(`{"Type":"Wait","TimestampPath":"until","End":true}`), []string{`States.S.TimestampPath: "until" is not a JSONPath`}},

		// Fail.
		{"Fail Error and ErrorPath", one(`{"Type":"Fail","Error":"E","ErrorPath":"$.e"}`), []string{"States.S: has Error and ErrorPath; only one"}},
		{"Fail Cause and CausePath", one(`{"Type":"Fail","Cause":"C","CausePath":"$.c"}`), []string{"States.S: has Cause and CausePath; only one"}},
		{"Fail Error not string", one(`{"Type":"Fail","Error":1}`), []string{"States.S.Error: must be a string"}},
		{"Fail CausePath intrinsic", one(`{"Type":"Fail","CausePath":"States.ArrayLength($.a)"}`), []string{"States.S.CausePath: States.ArrayLength cannot be used here"}},
		{"Fail ErrorPath wildcard", one(`{"Type":"Fail","ErrorPath":"$.e[*]"}`), []string{"States.S.ErrorPath: \"$.e[*]\" is not a reference path"}},

		// Choice.
		{"Choices missing", two(`{"Type":"Choice","Default":"T"}`), []string{"States.S.Choices: is required"}},
		{"Choices empty", two(`{"Type":"Choice","Choices":[],"Default":"T"}`), []string{"States.S.Choices: must be a non-empty array"}},
		{"rule Next missing", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true}],"Default":"T"}`), []string{"States.S.Choices[0].Next: is required in a top-level Choice rule"}},
		{"rule no operator", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","Next":"T"}]}`), []string{"States.S.Choices[0]: a Choice rule needs one comparison operator"}},
		{"rule two operators", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"IsString":true,"Next":"T"}]}`), []string{"States.S.Choices[0]: a Choice rule needs exactly one of a comparison operator, And, Or or Not, got IsNull, IsString"}},
		{"rule unknown operator", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","StringContains":"x","Next":"T"}]}`), []string{`States.S.Choices[0]: a Choice rule needs one`, `States.S.Choices[0]: field "StringContains" is not allowed in a Choice rule`}},
		{"rule no Variable", two(`{"Type":"Choice","Choices":[{"StringEquals":"x","Next":"T"}]}`), []string{"States.S.Choices[0].Variable: is required with a comparison operator"}},
		{"rule Variable wildcard", two(`{"Type":"Choice","Choices":[{"Variable":"$.a[*]","IsNull":true,"Next":"T"}]}`), []string{"States.S.Choices[0].Variable: \"$.a[*]\" is not a reference path"}},
		{"string operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":1,"Next":"T"}]}`), []string{"States.S.Choices[0].StringEquals: StringEquals compares with a string, got a number"}},
		{"numeric operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","NumericLessThan":"1","Next":"T"}]}`), []string{"States.S.Choices[0].NumericLessThan: NumericLessThan compares with a number, got a string"}},
		{"boolean operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","BooleanEquals":"true","Next":"T"}]}`), []string{"States.S.Choices[0].BooleanEquals: BooleanEquals takes a boolean"}},
		{"timestamp operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"yesterday","Next":"T"}]}`), []string{"States.S.Choices[0].TimestampEquals: TimestampEquals compares with an RFC 3339 timestamp"}},
		{"Is operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":1,"Next":"T"}]}`), []string{"States.S.Choices[0].IsPresent: IsPresent takes a boolean"}},
		{"Path operand", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEqualsPath":"b","Next":"T"}]}`), []string{`States.S.Choices[0].NumericEqualsPath: "b" is not a JSONPath`}},
		{"StringMatches escape", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","StringMatches":"a\\b","Next":"T"}]}`), []string{"StringMatches pattern"}},
		{"And empty", two(`{"Type":"Choice","Choices":[{"And":[],"Next":"T"}]}`), []string{"States.S.Choices[0].And: must be a non-empty array of rules"}},
		{"Or not array", two(`{"Type":"Choice","Choices":[{"Or":{},"Next":"T"}]}`), []string{"States.S.Choices[0].Or: must be a non-empty array of rules"}},
		{"Not not object", two(`{"Type":"Choice","Choices":[{"Not":[],"Next":"T"}]}`), []string{"States.S.Choices[0].Not: a Choice rule must be an object, got an array"}},
		{"nested Next", two(`{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"T"},"Next":"T"}]}`), []string{`States.S.Choices[0].Not: field "Next" is not allowed in a nested Choice rule`}},
		{"Variable with And", two(`{"Type":"Choice","Choices":[{"Variable":"$.a","And":[{"Variable":"$.a","IsNull":true}],"Next":"T"}]}`), []string{"States.S.Choices[0].Variable: is not allowed with And, Or or Not"}},
		{"nested rule error path", two(`{"Type":"Choice","Choices":[{"Or":[{"Variable":"$.a","IsNull":true},{"Variable":"$.b","NumericEquals":"x"}],"Next":"T"}]}`), []string{"States.S.Choices[0].Or[1].NumericEquals: NumericEquals compares with a number"}},

		// Parallel.
		{"Branches missing", one(`{"Type":"Parallel","End":true}`), []string{"States.S.Branches: is required"}},
		{"Branches empty", one(`{"Type":"Parallel","Branches":[],"End":true}`), []string{"States.S.Branches: must be a non-empty array of branches"}},
		{"branch StartAt missing", one(`{"Type":"Parallel","Branches":[{"States":{"B":{"Type":"Succeed"}}}],"End":true}`), []string{"States.S.Branches[0].StartAt: is required"}},
		{"branch inner error", one(`{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass"}}}],"End":true}`), []string{"States.S.Branches[0].States.B: needs Next or End: true"}},
		{"branch unknown field", one(`{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}},"Foo":1}],"End":true}`), []string{`States.S.Branches[0]: field "Foo" is not allowed in a Parallel branch`}},

		// Map.
		{"Map no processor", one(`{"Type":"Map","End":true}`), []string{"States.S: a Map state needs ItemProcessor"}},
		{"Map both processors", one(`{"Type":"Map","Iterator":` + proc + `,"ItemProcessor":` + proc + `,"End":true}`), []string{"States.S: has ItemProcessor and Iterator; only one"}},
		{"Map inner Next", one(`{"Type":"Map","ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Pass","Next":"X"}}},"End":true}`), []string{`States.S.ItemProcessor.States.Inner.Next: no state named "X"`}},
		{"Map Iterator inner", one(`{"Type":"Map","Iterator":{"StartAt":"Inner","States":{"Inner":{"Type":"Wait","End":true}}},"End":true}`), []string{"States.S.Iterator.States.Inner: a Wait state needs one of"}},
		{"Map MaxConcurrency", one(mapState(`"MaxConcurrency":-1`)), []string{"States.S.MaxConcurrency: must be between 0 and"}},
		{"Map tolerated percentage", one(mapState(`"ToleratedFailurePercentage":101`)), []string{"States.S.ToleratedFailurePercentage: must be a number from 0 to 100, got 101"}},
		{"Map tolerated count", one(mapState(`"ToleratedFailureCount":-2`)), []string{"States.S.ToleratedFailureCount: must be between 0"}},
		{"Map Parameters and ItemSelector", one(mapState(`"Parameters":{},"ItemSelector":{}`)), []string{"States.S: has Parameters and ItemSelector; only one"}},
		{"Map ItemSelector bad", one(mapState(`"ItemSelector":{"v.$":"Map.Item.Value"}`)), []string{`States.S.ItemSelector.v.$: "Map.Item.Value" is neither`}},
		{"Map processor mode", one(`{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), []string{`States.S.ItemProcessor.ProcessorConfig.Mode: must be "INLINE" or "DISTRIBUTED", got "FAST"`}},
		{"Map distributed needs type", one(`{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), []string{"States.S.ItemProcessor.ProcessorConfig.ExecutionType: is required when Mode is DISTRIBUTED"}},
		{"Map ProcessorConfig in Iterator", one(`{"Type":"Map","Iterator":{"ProcessorConfig":{},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}`), []string{`States.S.Iterator: field "ProcessorConfig" is not allowed in a Map Iterator`}},
		{"Map leaves processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Next":"Done"}}},"Next":"Done"},"Done":{"Type":"Succeed"}}}`,
			[]string{`States.M.ItemProcessor.States.I.Next: no state named "Done" in this scope`}},
		{"Next enters a branch", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"},"P":{"Type":"Parallel","Branches":[{"StartAt":"Z","States":{"Z":{"Type":"Succeed"}}}],"End":true}}}`,
			[]string{`States.A.Next: no state named "Z" in this scope`, `States.P: state is not reachable`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := validate.Definition([]byte(c.def))
			var lines []string
			for _, d := range got {
				lines = append(lines, d.String())
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(c.want), strings.Join(lines, "\n"))
			}
			for i, w := range c.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("diagnostic %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}

const proc = `{"StartAt":"I","States":{"I":{"Type":"Succeed"}}}`

func task(fields string) string {
	return `{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",` + fields + `,"End":true}`
}

func mapState(fields string) string {
	return `{"Type":"Map","ItemProcessor":` + proc + `,` + fields + `,"End":true}`
}

func TestValidDefinitions(t *testing.T) {
	valid := []string{
		// Every state type with its optional fields.
		`{"Comment":"c","Version":"1.0","TimeoutSeconds":60,"QueryLanguage":"JSONPath","StartAt":"P","States":{
		  "P":{"Type":"Pass","Comment":"x","InputPath":"$.a[?(@.b > 1)]","OutputPath":null,"ResultPath":"$.r['k'][0]","Result":{"x":1},"Next":"T"},
		  "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$","n":{"m.$":"$$.Execution.Id","l":[{"k.$":"States.UUID()"}]}},
		       "ResultSelector":{"r.$":"$.Payload"},"ResultPath":null,"TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,
		       "Retry":[{"ErrorEquals":["Lambda.ServiceException","States.Timeout"],"IntervalSeconds":1,"MaxAttempts":0,"BackoffRate":1.5,"MaxDelaySeconds":10,"JitterStrategy":"FULL"},{"ErrorEquals":["States.ALL"]}],
		       "Catch":[{"ErrorEquals":["X"],"Next":"C","ResultPath":"$.err"},{"ErrorEquals":["States.ALL"],"Next":"F"}],"Next":"C"},
		  "C":{"Type":"Choice","Choices":[
		       {"Variable":"$$.Execution.Input.x","StringMatches":"a*\\*b\\\\","Next":"W"},
		       {"And":[{"Variable":"$.a","NumericGreaterThanEqualsPath":"$.b"},{"Not":{"Variable":"$.c","IsNull":true}}],"Next":"W"},
		       {"Or":[{"Variable":"$.t","TimestampLessThan":"2016-03-14T01:59:00.123+01:00"},{"Variable":"$.b","BooleanEquals":false}],"Next":"Par"}],
		       "Default":"F"},
		  "W":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z","Next":"Par"},
		  "Par":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Wait","Seconds":0,"End":true}}},{"Comment":"b","StartAt":"B2","States":{"B2":{"Type":"Succeed"}}}],"Next":"M"},
		  "M":{"Type":"Map","ItemsPath":"$.items[*]","MaxConcurrency":0,"ToleratedFailurePercentage":12.5,"ItemSelector":{"v.$":"$$.Map.Item.Value"},
		       "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"L"},
		  "L":{"Type":"Map","Iterator":{"StartAt":"I2","States":{"I2":{"Type":"Succeed"}}},"Parameters":{"x.$":"$"},"Next":"F2"},
		  "F2":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('{}', $.c)"},
		  "F":{"Type":"Fail","Error":"E","Cause":"C"}}}`,
		// The project's own machines.
	}
	files, _ := filepath.Glob("../../../statemachines/*.json")
	if len(files) == 0 {
		t.Fatal("no definitions found in statemachines/: every one must be validated here")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		valid = append(valid, string(b))
	}
	for i, def := range valid {
		if got := validate.Definition([]byte(def)); got != nil {
			t.Errorf("definition %d: unexpected diagnostics:\n%v", i, got)
		}
	}
}

// TestConformanceDefinitionsAreValid: every definition AWS ran in the
// conformance suite passes the validator.
func TestConformanceDefinitionsAreValid(t *testing.T) {
	files, err := filepath.Glob("testdata/conformance/*.json")
	if err != nil || len(files) < 60 {
		t.Fatalf("expected the conformance cases in testdata/conformance, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Definition json.RawMessage `json:"definition"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got := validate.Definition(c.Definition)
		if filepath.Base(f) == "25-succeed-with-paths.json" {
			// Its state "Never" is unreachable: AWS's CreateStateMachine
			// refuses that (MISSING_TRANSITION_TARGET: State "Never" is not
			// reachable), the case's oracle does not check it. It is the
			// one diagnostic, and a runner can tell it is only a warning.
			if len(got) != 1 || !validate.Unreachable(got[0]) || got[0].Path != "States.Never" {
				t.Errorf("%s: got %v, want only States.Never unreachable", filepath.Base(f), got)
			}
			continue
		}
		if got != nil {
			t.Errorf("%s: unexpected diagnostics: %v", filepath.Base(f), got)
		}
	}
}

func TestDeterministicAndSorted(t *testing.T) {
	def := `{"StartAt":"A","States":{"Z":{"Type":"Pass"},"A":{"Type":"Pass","Foo":1,"Bar":2,"Next":"Q"},"M":{"Type":"Nope"}}}`
	first := validate.Definition([]byte(def))
	for range 20 {
		if got := validate.Definition([]byte(def)); !reflect.DeepEqual(got, first) {
			t.Fatalf("run differs:\n%v\n%v", got, first)
		}
	}
	want := []string{
		`States.A: field "Bar" is not allowed in a Pass state`,
		`States.A: field "Foo" is not allowed in a Pass state`,
		`States.A.Next: no state named "Q"`,
		`States.M: state is not reachable from StartAt "A"`,
		`States.M.Type: unknown state type "Nope" (one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map)`,
		`States.Z: needs Next or End: true`,
		`States.Z: state is not reachable from StartAt "A"`,
	}
	var got []string
	for _, d := range first {
		got = append(got, d.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func FuzzDefinition(f *testing.F) {
	files, _ := filepath.Glob("testdata/conformance/*.json")
	for _, file := range files {
		raw, _ := os.ReadFile(file)
		var c struct {
			Definition json.RawMessage `json:"definition"`
		}
		if json.Unmarshal(raw, &c) == nil {
			f.Add([]byte(c.Definition))
		}
	}
	for _, s := range []string{`{}`, `[]`, `null`, `{"StartAt":1,"States":[]}`, one(`{"Type":"Choice","Choices":[{"Not":{"Not":{}}}]}`),
		one(`{"Type":"Parallel","Branches":[{"StartAt":"S","States":{"S":{"Type":"Map","Iterator":1}}}]}`)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ds := validate.Definition(raw)
		for i := 1; i < len(ds); i++ {
			if ds[i-1].Path > ds[i].Path {
				t.Fatalf("diagnostics not sorted: %v", ds)
			}
		}
	})
}

func BenchmarkDefinition(b *testing.B) {
	raw, err := os.ReadFile("testdata/conformance/65-saga-compensation-chain.json")
	if err != nil {
		b.Fatal(err)
	}
	var c struct {
		Definition json.RawMessage `json:"definition"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := validate.Definition(c.Definition); d != nil {
			b.Fatal(d)
		}
	}
}

// TestEndState: a machine (or a branch, or a Map processor) that no path
// from StartAt can end is refused with MISSING_END_STATE; a loop with a
// way out is not.
func TestEndState(t *testing.T) {
	const loopStates = `"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}`
	lambda := `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:f"`
	cases := []struct {
		name string
		def  string
		want []string // "path: message substring [CODE]" of each diagnostic, in order; nil: valid
	}{
		{"pure cycle", `{"StartAt":"A","States":{` + loopStates + `}}`,
			[]string{"States: has no terminal state [MISSING_END_STATE]"}},
		{"self loop", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`,
			[]string{"States: has no terminal state [MISSING_END_STATE]"}},
		{"choice loop without a way out", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"W"}],"Default":"W"},"W":{"Type":"Wait","Seconds":1,"Next":"C"}}}`,
			[]string{"States: has no terminal state [MISSING_END_STATE]"}},
		{"choice loop whose Default leaves", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"W"}],"Default":"Done"},"W":{"Type":"Wait","Seconds":1,"Next":"C"},"Done":{"Type":"Succeed"}}}`,
			nil},
		{"loop left by a Catch", `{"StartAt":"T","States":{"T":{"Type":"Task",` + lambda + `,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"Next":"T"},"F":{"Type":"Fail"}}}`,
			nil},
		{"loop left by End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"A"}],"Default":"E"},"E":{"Type":"Pass","End":true}}}`,
			nil},
		{"terminal out of reach", `{"StartAt":"A","States":{` + loopStates + `,"Done":{"Type":"Succeed"}}}`,
			[]string{`States: no terminal state (a Succeed or Fail state, or one with "End": true) is reachable from StartAt "A" [MISSING_END_STATE]`,
				`States.Done: state is not reachable from StartAt "A" [MISSING_TRANSITION_TARGET]`}},
		{"Parallel branch loops", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{` + loopStates + `}}],"End":true}}}`,
			[]string{"States.P.Branches[0].States: has no terminal state [MISSING_END_STATE]"}},
		{"Map processor loops", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"A","States":{` + loopStates + `}},"End":true}}}`,
			[]string{"States.M.ItemProcessor.States: has no terminal state [MISSING_END_STATE]"}},
		{"unknown StartAt and no end", `{"StartAt":"X","States":{` + loopStates + `}}`,
			[]string{`StartAt: no state named "X" [SCHEMA_VALIDATION_FAILED]`, "States: has no terminal state [MISSING_END_STATE]"}},
		// A dangling Next is the mistake to report, not its consequence.
		{"dangling Next", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`,
			[]string{`States.A.Next: no state named "Nowhere" [MISSING_TRANSITION_TARGET]`}},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`,
			[]string{"States.A: needs Next or End: true [SCHEMA_VALIDATION_FAILED]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, d := range validate.Definition([]byte(c.def)) {
				got = append(got, d.String()+" ["+d.Code+"]")
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, w := range c.want {
				prefix, code, _ := strings.Cut(w, " [")
				if !strings.Contains(got[i], prefix) || !strings.HasSuffix(got[i], "["+code) {
					t.Errorf("diagnostic %d = %q, want %q", i, got[i], w)
				}
			}
		})
	}
}

// TestDefinitionSize: AWS takes definitions up to 1 MiB; a longer one gets
// one diagnostic naming the limit, without being parsed.
func TestDefinitionSize(t *testing.T) {
	valid := `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`
	pad := func(n int) []byte { return []byte(valid + strings.Repeat(" ", n-len(valid))) }
	if got := validate.Definition(pad(validate.MaxDefinitionBytes)); got != nil {
		t.Fatalf("a definition of exactly 1 MiB: %v", got)
	}
	got := validate.Definition(pad(validate.MaxDefinitionBytes + 1))
	if len(got) != 1 || got[0].Code != validate.CodeDefinitionTooLarge || got[0].Path != "" ||
		!strings.Contains(got[0].Message, "1048577 bytes") || !strings.Contains(got[0].Message, "1048576") {
		t.Fatalf("a definition of 1 MiB + 1 byte: %+v", got)
	}
	// Too large is said first: nothing else is looked at.
	if got := validate.Definition([]byte("{" + strings.Repeat(" ", validate.MaxDefinitionBytes))); len(got) != 1 || got[0].Code != validate.CodeDefinitionTooLarge {
		t.Fatalf("a large broken definition: %+v", got)
	}
}

// TestCodes: every diagnostic has an AWS code.
func TestCodes(t *testing.T) {
	for def, code := range map[string]string{
		`{"StartAt":`: validate.CodeInvalidJSON,
		`{"StartAt":"S","States":{"S":{"Type":"Succeed","Foo":1}}}`:                                                                    validate.CodeSchemaValidation,
		`{"StartAt":"S","States":{"S":{"Type":"Parallel","Branches":[{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}],"End":true}}}`: validate.CodeDuplicateStateName,
	} {
		got := validate.Definition([]byte(def))
		if len(got) == 0 || got[0].Code != code {
			t.Errorf("%s: got %+v, want code %s", def, got, code)
		}
	}
}
