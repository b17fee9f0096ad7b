package intrinsic_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonv.Decode([]byte(s))
	if err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func eval(t *testing.T, expr string, input any) (any, error) {
	t.Helper()
	e, err := intrinsic.Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Eval(pathResolver(input))
}

const testInput = `{
  "s": "abc", "n": 3, "f": 2.5, "neg": -1.5, "t": true, "z": null,
  "arr": [1, "two", {"k": [1]}, null], "nums": [1, 2, 3, 4, 5], "empty": [],
  "obj": {"b": 1, "a": {"c": [true, null]}}, "o2": {"a": 2, "x": "y"},
  "tmpl": "<{}|{}>", "json": "{\"k\": [1, 2.5, \"x\"]}", "csv": ",a,,b,",
  "big": 1e20, "tiny": 0.0001, "idx": 1, "fidx": 1.5, "zero": 0, "unicode": "h\u00e9\u2028\u0001\"\\/<>&"
}`

func TestEval(t *testing.T) {
	input := mustJSON(t, testInput)
	cases := []struct {
		expr string
		want string // JSON
	}{
		// Format: literal escapes, values by type, template from a path.
		{`States.Format('a\'b\{\}\\c{}', $.s)`, `"a'b{}\\cabc"`},
		{`States.Format('{}{}{}{}', $.n, $.f, $.t, $.z)`, `"32.5truenull"`},
		{`States.Format('{}', $.arr)`, `"[1, two, {k=[1]}, null]"`},
		// Objects print their members in document order, as on AWS.
		{`States.Format('{}', $.obj)`, `"{b=1, a={c=[true, null]}}"`},
		{`States.Format($.tmpl, 1, 'x')`, `"<1|x>"`},
		{`States.Format('{} {}', $.big, $.tiny)`, `"1.0E20 1.0E-4"`},
		{`States.Format('x')`, `"x"`},
		{`States.Format('{}', States.Array())`, `"[]"`},
		// JSON text.
		{`States.JsonToString($.obj)`, `"{\"b\":1,\"a\":{\"c\":[true,null]}}"`},
		{`States.JsonToString($.unicode)`, `"\"hé\u2028\\u0001\\\"\\\\/<>&\""`},
		{`States.JsonToString($.f)`, `"2.5"`},
		{`States.JsonToString($)`, ""}, // checked below: it is long
		{`States.StringToJson($.json)`, `{"k":[1,2.5,"x"]}`},
		{`States.StringToJson(' ')`, `null`},
		{`States.StringToJson('[1, 2]')`, `[1,2]`},
		// Arrays.
		{`States.Array()`, `[]`},
		{`States.Array(1, 'a', true, null, $.obj, States.Array(2))`, `[1,"a",true,null,{"b":1,"a":{"c":[true,null]}},[2]]`},
		{`States.ArrayPartition($.nums, 2)`, `[[1,2],[3,4],[5]]`},
		{`States.ArrayPartition($.empty, 3)`, `[]`},
		{`States.ArrayPartition($.nums, 9999999999)`, `[[1,2,3,4,5]]`},
		{`States.ArrayContains($.arr, $.arr[2])`, `true`},
		{`States.ArrayContains($.arr, null)`, `true`},
		{`States.ArrayContains($.arr, '1')`, `false`},
		{`States.ArrayContains($.empty, 1)`, `false`},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{`States.ArrayRange(5, 1, -2)`, `[5,3,1]`},
		{`States.ArrayRange(5, 1, 1)`, `[]`},
		{`States.ArrayRange(-1, 1, 1)`, `[-1,0,1]`},
		{`States.ArrayRange(0, 999, 1)`, ""}, // 1000 items: checked below
		{`States.ArrayGetItem($.nums, 4)`, `5`},
		{`States.ArrayGetItem($.arr, $.idx)`, `"two"`},
		{`States.ArrayLength($.arr)`, `4`},
		{`States.ArrayLength($.empty)`, `0`},
		{`States.ArrayUnique(States.Array(1, 1.0, '1', $.obj, $.obj, null, null))`, `[1,"1",{"b":1,"a":{"c":[true,null]}},null]`},
		// Encoding and hashing.
		{`States.Base64Encode('')`, `""`},
		{`States.Base64Encode('hé')`, `"aMOp"`},
		{`States.Base64Decode('aMOp')`, `"hé"`},
		{`States.Base64Decode('/w==')`, `"\ufffd"`},
		{`States.Hash('', 'MD5')`, `"d41d8cd98f00b204e9800998ecf8427e"`},
		{`States.Hash('abc', 'SHA-256')`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		// JsonMerge is shallow; the right-hand side wins.
		{`States.JsonMerge($.obj, $.o2, false)`, `{"b":1,"a":2,"x":"y"}`},
		// MathAdd rounds non-integers like Java's Math.round.
		{`States.MathAdd($.n, -10)`, `-7`},
		{`States.MathAdd(1.49, 1.5)`, `3`},
		{`States.MathAdd(2.5, 0)`, `3`},
		{`States.MathAdd($.neg, 0)`, `-1`},
		{`States.MathAdd(-2.5, 0)`, `-2`},
		{`States.MathAdd(-0.5, 0.5)`, `1`},
		{`States.MathAdd(2147483647, 0)`, `2147483647`},
		{`States.MathRandom(7, 7)`, `7`},
		// StringSplit splits at any delimiter character and drops empty pieces.
		{`States.StringSplit($.csv, ',')`, `["a","b"]`},
		{`States.StringSplit('This.is+a,test=string', '.+,=')`, `["This","is","a","test","string"]`},
		{`States.StringSplit(',,,', ',')`, `[]`},
		{`States.StringSplit(' , ', ',')`, `[" "," "]`},
		{`States.StringSplit('abc', '')`, `["abc"]`},
		// Whitespace and paths with brackets.
		{"  States.ArrayGetItem( $.nums ,\t0 )  ", `1`},
		{`States.ArrayGetItem($['nums'], 1)`, ""}, // resolver here does not do brackets; parse only
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			e, err := intrinsic.Parse(c.expr)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.want == "" {
				return
			}
			got, err := e.Eval(pathResolver(input))
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			// Compared as text so that member order counts.
			if g, want := jsonv.Marshal(got), jsonv.Marshal(mustJSON(t, c.want)); g != want {
				t.Fatalf("got %s, want %s", g, want)
			}
		})
	}

	t.Run("JsonToString of the whole input round-trips", func(t *testing.T) {
		got, err := eval(t, `States.StringToJson(States.JsonToString($))`, input)
		if err != nil || !reflect.DeepEqual(got, input) {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("ArrayRange up to 1000 items", func(t *testing.T) {
		got, err := eval(t, `States.ArrayRange(0, 999, 1)`, input)
		if err != nil || len(got.([]any)) != 1000 {
			t.Fatalf("got %d items, %v", len(got.([]any)), err)
		}
	})
}

func TestMathRandom(t *testing.T) {
	e, err := intrinsic.Parse(`States.MathRandom(1, 3)`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	for range 300 {
		v, err := e.Eval(nil)
		if err != nil {
			t.Fatal(err)
		}
		n := v.(float64)
		if n < 1 || n > 3 || n != float64(int(n)) {
			t.Fatalf("MathRandom(1, 3) = %v", n)
		}
		seen[n] = true
	}
	if len(seen) != 3 {
		t.Fatalf("300 draws of MathRandom(1, 3) gave only %v", seen)
	}
	seeded, err := intrinsic.Parse(`States.MathRandom(0, 1000000, 42)`)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := seeded.Eval(nil)
	b, _ := seeded.Eval(nil)
	if a != b {
		t.Fatalf("a seeded MathRandom gave %v then %v", a, b)
	}
}

func TestUUID(t *testing.T) {
	e, err := intrinsic.Parse(`States.UUID()`)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, _ := e.Eval(nil)
	b, _ := e.Eval(nil)
	if !re.MatchString(a.(string)) || !re.MatchString(b.(string)) || a == b {
		t.Fatalf("UUIDs %v and %v", a, b)
	}
}

// TestParseErrors: syntax, arity and static type errors are found by Parse.
func TestParseErrors(t *testing.T) {
	cases := []struct{ expr, cause string }{
		{`States.Nope(1)`, "unknown function States.Nope"},
		{`States.Format`, "expected ("},
		{`States.Format(`, "missing argument"},
		{`States.Format('a'`, "missing ) closing"},
		{`States.Format('a' 1)`, "expected , or )"},
		{`States.Format('a',)`, "unexpected \")\""},
		{`States.Format('a)`, "unterminated string"},
		{`States.Format("a")`, `unexpected "\""`},
		{`States.Format(abc)`, "unknown argument \"abc\""},
		{`States.Format('{}')`, "has 1 {} placeholder(s) but 0 value(s)"},
		{`States.Format('\{}', 1)`, "has 0 {} placeholder(s) but 1 value(s)"},
		{`States.Format(1)`, "must be a string, got number 1"},
		{`States.Format()`, "at least 1 argument"},
		{`States.Format('x') trailing`, "after the call"},
		{`States.UUID(1)`, "takes 0 argument(s), got 1"},
		{`States.ArrayLength()`, "takes 1 argument(s), got 0"},
		{`States.MathRandom(1)`, "takes 2 to 3 argument(s), got 1"},
		{`States.ArrayLength('abc')`, "must be an array, got string"},
		{`States.ArrayLength(States.Format('x'))`, "must be an array, but States.Format returns a string"},
		{`States.ArrayGetItem($.a, 1.5)`, "must be an integer"},
		{`States.ArrayGetItem($.a, -1)`, "non-negative"},
		{`States.ArrayPartition($.a, 0)`, "positive integer"},
		{`States.ArrayRange(1, 5, 0)`, "must not be 0"},
		{`States.ArrayRange(0, 1000, 1)`, "1001 items, more than the 1000"},
		{`States.Hash('x', 'SHA-3')`, "unknown algorithm"},
		{`States.JsonMerge($.a, $.b, true)`, "deep merge"},
		{`States.MathAdd('1', 2)`, "must be a number"},
		{`States.Array(01)`, "leading zero"},
		{`States.Array(1.)`, "digits after the decimal point"},
		{`States.Array(1e)`, "digits in the exponent"},
		{`States.Array(12abc)`, "in a number"},
		{`States.Array($.a[0)`, "unclosed ["},
		{`States.Array($.a])`, "unbalanced ]"},
		{`States.Array($.a['x)`, "unterminated quote"},
		{`States.Array($.a(1))`, "in path"},
		{strings.Repeat("States.Array(", 11) + "1" + strings.Repeat(")", 11), "nest at most 10"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := intrinsic.Parse(c.expr)
			var ie *intrinsic.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *intrinsic.Error", err)
			}
			if ie.Name != intrinsic.NameRuntime || !strings.Contains(ie.Cause, c.cause) {
				t.Fatalf("got %s: %s, want a cause containing %q", ie.Name, ie.Cause, c.cause)
			}
		})
	}
	// Nine levels nest fine (the AWS documentation's example).
	if _, err := intrinsic.Parse(`States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(1))))))))))`); err != nil {
		t.Fatalf("10 nested calls: %v", err)
	}
}

// TestEvalErrors: wrong run-time values fail with States.Runtime and a cause
// naming the function and argument; resolver errors pass through.
func TestEvalErrors(t *testing.T) {
	input := mustJSON(t, testInput)
	cases := []struct{ expr, cause string }{
		{`States.ArrayLength($.s)`, `States.ArrayLength: argument 1 ($.s) must be an array, got string "abc"`},
		{`States.Format($.n)`, "argument 1 ($.n) must be a string"},
		{`States.Format($.tmpl, 1)`, "has 2 {} placeholder(s) but 1 value(s)"},
		{`States.StringToJson($.s)`, "not JSON text"},
		{`States.StringToJson('{} x')`, "after the JSON value"},
		{`States.StringToJson($.n)`, "must be a string, got number 3"},
		{`States.ArrayPartition($.nums, $.zero)`, "positive integer"},
		{`States.ArrayPartition($.nums, $.fidx)`, "must be an integer"},
		{`States.ArrayRange(0, $.n, $.zero)`, "must not be 0"},
		{`States.ArrayRange(0, 2000, $.idx)`, "more than the 1000 allowed"},
		{`States.ArrayGetItem($.nums, 5)`, "index 5 is out of bounds"},
		{`States.ArrayGetItem($.nums, $.fidx)`, "must be an integer"},
		{`States.ArrayGetItem($.obj, 0)`, "must be an array, got object"},
		{`States.Base64Decode('***')`, "not base64"},
		{`States.Base64Encode($.n)`, "must be a string"},
		{`States.Hash($.s, $.s)`, `unknown algorithm "abc"`},
		{`States.Hash($.n, 'MD5')`, "must be a string"},
		{`States.JsonMerge($.obj, $.arr, false)`, "argument 2 ($.arr) must be an object"},
		{`States.JsonMerge($.obj, $.obj, $.t)`, "deep merge"},
		{`States.MathAdd($.s, 1)`, "must be a number"},
		{`States.MathAdd(2147483648, 0)`, "32-bit"},
		{`States.MathRandom(5, 1)`, "greater than end"},
		{`States.StringSplit($.n, ',')`, "must be a string"},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := eval(t, c.expr, input)
			var ie *intrinsic.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *intrinsic.Error", err)
			}
			if ie.Name != "States.Runtime" || !strings.Contains(ie.Cause, c.cause) {
				t.Fatalf("got %s: %s, want a cause containing %q", ie.Name, ie.Cause, c.cause)
			}
		})
	}

	t.Run("resolver error passes through", func(t *testing.T) {
		sentinel := errors.New("path failure")
		e, err := intrinsic.Parse(`States.Array(1, States.Format('{}', $$.Execution.Id))`)
		if err != nil {
			t.Fatal(err)
		}
		var asked string
		_, err = e.Eval(func(p string) (any, error) { asked = p; return nil, sentinel })
		if err != sentinel || asked != "$$.Execution.Id" {
			t.Fatalf("got %v for %q", err, asked)
		}
	})
	t.Run("Base64 input limit", func(t *testing.T) {
		long := strings.Repeat("a", 10001)
		_, err := eval(t, `States.Base64Encode($.x)`, map[string]any{"x": long})
		if err == nil || !strings.Contains(err.Error(), "more than the 10000") {
			t.Fatalf("got %v", err)
		}
		if _, err := eval(t, `States.Hash($.x, 'MD5')`, map[string]any{"x": long[1:]}); err != nil {
			t.Fatalf("10000 characters: %v", err)
		}
	})
}

func TestIsIntrinsic(t *testing.T) {
	for s, want := range map[string]bool{
		"States.Format('x')":   true,
		" States.UUID() ":      true,
		"$.States.Format('x')": false,
		"States.Format":        false,
		"$.a":                  false,
		"":                     false,
	} {
		if got := intrinsic.IsIntrinsic(s); got != want {
			t.Errorf("IsIntrinsic(%q) = %v", s, got)
		}
	}
}

func TestExprAccessors(t *testing.T) {
	e, err := intrinsic.Parse(`States.Format('{} {}', $.a, States.JsonToString($$.Map.Item.Value[?(@.x, 1)]))`)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Paths(); !reflect.DeepEqual(got, []string{"$.a", "$$.Map.Item.Value[?(@.x, 1)]"}) {
		t.Fatalf("Paths() = %q", got)
	}
	if e.Name() != "States.Format" || !strings.HasPrefix(e.String(), "States.Format('{} {}'") {
		t.Fatalf("Name %q String %q", e.Name(), e.String())
	}
	if n := len(intrinsic.Names()); n != 18 {
		t.Fatalf("%d functions: %v", n, intrinsic.Names())
	}
}

// TestConcurrentEval: an Expr is evaluated from many goroutines (run with -race).
func TestConcurrentEval(t *testing.T) {
	e, err := intrinsic.Parse(`States.Format('{}-{}', $.a, States.MathRandom(1, 9))`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 8 {
		go func() {
			v, err := e.Eval(pathResolver(map[string]any{"a": float64(i)}))
			if err == nil && !strings.HasPrefix(v.(string), fmt.Sprintf("%d-", i)) {
				err = fmt.Errorf("got %v", v)
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	// Seeds: every intrinsic in the conformance cases plus the table above.
	files, _ := filepath.Glob("testdata/conformance/*.json")
	for _, file := range files {
		raw, _ := os.ReadFile(file)
		for _, m := range regexp.MustCompile(`"(States\.[^"\\]*(?:\\.[^"\\]*)*)"`).FindAllSubmatch(raw, -1) {
			var s string
			if json.Unmarshal(append(append([]byte{'"'}, m[1]...), '"'), &s) == nil {
				f.Add(s)
			}
		}
	}
	for _, s := range []string{
		`States.Format('a\'b\{\}\\c{}', $.s)`, `States.Array($.a[?(@.b == ')')], 1e5, -0.5, null)`,
		`States.MathRandom(1, 2, 3)`, `States.JsonMerge($, $$.x, false)`, `States.Format(`, `States.`,
	} {
		f.Add(s)
	}
	input := mustJSONf(testInput)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := intrinsic.Parse(s)
		if err != nil {
			var ie *intrinsic.Error
			if !errors.As(err, &ie) || ie.Name != intrinsic.NameRuntime {
				t.Fatalf("Parse(%q) error %v is not a States.Runtime *Error", s, err)
			}
			return
		}
		// Evaluating must not panic either; failures must be named.
		if _, err := e.Eval(pathResolver(input)); err != nil {
			var ie *intrinsic.Error
			if errors.As(err, &ie) && ie.Name != intrinsic.NameRuntime {
				t.Fatalf("Eval(%q) error name %s", s, ie.Name)
			}
		}
	})
}

func mustJSONf(s string) any {
	v, err := jsonv.Decode([]byte(s))
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkParse(b *testing.B) {
	const s = `States.Format('{}:{} has {} tags', $.user, $.id, States.ArrayLength(States.ArrayUnique(States.StringSplit($.tags, ','))))`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := intrinsic.Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	e, err := intrinsic.Parse(`States.Format('{}:{} has {} tags', $.user, $.id, States.ArrayLength(States.ArrayUnique(States.StringSplit($.tags, ','))))`)
	if err != nil {
		b.Fatal(err)
	}
	resolve := pathResolver(map[string]any{"user": "zoe", "id": 7.0, "tags": "a,b,a,c,b"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(resolve); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalHash(b *testing.B) {
	e, err := intrinsic.Parse(`States.Hash(States.JsonToString($), 'SHA-256')`)
	if err != nil {
		b.Fatal(err)
	}
	resolve := pathResolver(mustJSONf(testInput))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(resolve); err != nil {
			b.Fatal(err)
		}
	}
}
