package jsonpath

import (
	"errors"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonv.Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func enc(v any) string {
	return jsonv.Marshal(v)
}

const doc = `{"nums":[10,20,30],"people":[{"name":"al","age":30},{"name":"bo","age":12},{"name":"cy","age":18,"tags":["x"]}],
"a":{"b":{"c":"deep"}},"sp ace":{"k":1},"store":{"book":[{"price":8,"t":"x"},{"price":12,"t":"y"}],"bike":{"price":20}}}`

func TestGet(t *testing.T) {
	root := decode(t, doc)
	tests := []struct {
		path, want string
		definite   bool
	}{
		{"$", enc(root), true},
		{"$.nums[0]", "10", true},
		{"$.nums[-1]", "30", true},
		{"$.a.b.c", `"deep"`, true},
		{"$['sp ace'].k", "1", true},
		{"$[\"sp ace\"]['k']", "1", true},
		{"$.people[*].name", `["al","bo","cy"]`, false},
		{"$.people[*].tags", `[["x"]]`, false},
		{"$.nums[0:2]", `[10,20]`, false},
		{"$.nums[1:]", `[20,30]`, false},
		{"$.nums[:-1]", `[10,20]`, false},
		{"$.nums[::2]", `[10,30]`, false},
		{"$.nums[0,2]", `[10,30]`, false},
		{"$.people[?(@.age >= 18)].name", `["al","cy"]`, false},
		{"$.people[?(@.age < 18 || @.name == 'cy')].name", `["bo","cy"]`, false},
		{"$.people[?(@.age > 10 && !(@.name == \"al\"))].name", `["bo","cy"]`, false},
		{"$.people[?(@.tags)].name", `["cy"]`, false},
		{"$.people[?(@.name =~ /^[ab].*/)].age", `[30,12]`, false},
		{"$.people[?(@.name in ['bo','cy'])].age", `[12,18]`, false},
		{"$.people[?(@.age > $.nums[0])].name", `["al","bo","cy"]`, false},
		// Document order, as Jayway walks objects (sorted keys would give bike first).
		{"$..price", `[8,12,20]`, false},
		{"$.store..price", `[8,12,20]`, false},
		{"$.store.*", `[[{"price":8,"t":"x"},{"price":12,"t":"y"}],{"price":20}]`, false},
		{"$.people[2].*", `["cy",18,["x"]]`, false},
		{"$.store.book[*]", `[{"price":8,"t":"x"},{"price":12,"t":"y"}]`, false},
		{"$.a.*", `[{"c":"deep"}]`, false},
		{"$.nums.length()", "3", true},
		{"$.people[?(@.age > 100)].name", `[]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, err := Compile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if p.IsDefinite() != tc.definite {
				t.Errorf("IsDefinite = %v", p.IsDefinite())
			}
			got, err := p.Get(root)
			if err != nil {
				t.Fatal(err)
			}
			if enc(got) != tc.want {
				t.Errorf("got %s want %s", enc(got), tc.want)
			}
		})
	}
}

func TestGetNotFound(t *testing.T) {
	root := decode(t, doc)
	for _, path := range []string{"$.nope", "$.nums[3]", "$.a.b.c.d", "$.nums.x", "$.a[0]"} {
		_, err := MustCompile(path).Get(root)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", path, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, path := range []string{"", "a.b", "$.", "$[", "$[0", "$['a", "$.a[?(@.x >)]", "$.a[?@.x]", "$..", "$.a[x]", "$.a.foo()", "$[1:2:0]", "$ .a"} {
		if _, err := Compile(path); err == nil {
			t.Errorf("%q compiled", path)
		} else {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%q: %T", path, err)
			}
		}
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		in, path, val, want string
		fail                bool
	}{
		{`{"a":1}`, "$", `2`, `2`, false},
		{`{"a":{"x":1},"top":"t"}`, "$.a.b.c", `{"ok":true}`, `{"a":{"x":1,"b":{"c":{"ok":true}}},"top":"t"}`, false},
		{`{"cfg":{"value":"old","other":2}}`, "$.cfg.value", `["new"]`, `{"cfg":{"value":["new"],"other":2}}`, false},
		{`{"l":[1,{"a":1}]}`, "$.l[1].b", `2`, `{"l":[1,{"a":1,"b":2}]}`, false},
		{`{"count":5}`, "$.count.inner", `1`, ``, true},
		{`{"l":[1]}`, "$.l[3]", `1`, ``, true},
		{`"s"`, "$.x", `1`, ``, true},
		{`null`, "$.x", `1`, `{"x":1}`, false},
	}
	for _, tc := range tests {
		root := decode(t, tc.in)
		before := enc(root)
		got, err := MustCompile(tc.path).Set(root, decode(t, tc.val))
		if tc.fail {
			if !errors.Is(err, ErrNotSettable) {
				t.Errorf("%s on %s: err = %v", tc.path, tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if enc(got) != tc.want {
			t.Errorf("%s on %s: got %s want %s", tc.path, tc.in, enc(got), tc.want)
		}
		if enc(root) != before {
			t.Errorf("Set modified its input: %s", enc(root))
		}
	}
	if _, err := MustCompile("$.a[*]").Set(jsonv.NewObject(nil), 1); !errors.Is(err, ErrNotSettable) {
		t.Errorf("wildcard set: %v", err)
	}
}

func BenchmarkGetDefinite(b *testing.B) {
	root := decode(b, doc)
	p := MustCompile("$.a.b.c")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(root); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzCompileGet(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a b'][0]", "$.a[*].b", "$.a[0:2]", "$..x", "$.a[?(@.x > 1 && @.y == 'z')]",
		"$.a[-1]", "$.a.length()", "$.people[?(@.name =~ /^a/i)]", "$[?(@ in [1,2])]", "$.a[1:2:-1]", "$.a[0,1,2]"} {
		f.Add(s, `{"a":[{"x":2,"y":"z","b":1},{"x":0}],"people":[{"name":"al"}]}`)
	}
	f.Fuzz(func(t *testing.T, path, input string) {
		p, err := Compile(path)
		if err != nil {
			return
		}
		root, err := jsonv.Decode([]byte(input))
		if err != nil {
			return
		}
		_, _ = p.Get(root)
		if p.IsReference() {
			_, _ = p.Set(root, "v")
		}
	})
}
