package governance

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		file     string
		kind     error
		contains []string
		line     int
	}{
		{"testdata/bad/package.json", ErrNotOpenAPI, []string{`no top-level "openapi"`, "name, version"}, 0},
		{"testdata/bad/swagger2.yaml", ErrNotOpenAPI, []string{"Swagger 2.0", "convert it to OpenAPI 3"}, 1},
		{"testdata/bad/unresolved.yaml", ErrUnresolvedRef, []string{`"#/components/schemas/Missing"`, "paths./things.get.responses.200.content.application/json.schema"}, 11},
		{"testdata/bad/invalid.yaml", ErrSyntax, []string{"invalid YAML/JSON", "did not find expected"}, 6},
		{"testdata/bad/invalid.json", ErrSyntax, []string{"JSON"}, 3},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Audit(context.Background(), tc.file, b, Options{})
			if !errors.Is(err, tc.kind) || !IsInputError(err) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			for _, c := range tc.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not say %q", err, c)
				}
			}
			var ie *InputError
			errors.As(err, &ie)
			if tc.line != 0 && ie.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", ie.Line, tc.line, err)
			}
			if tc.kind == ErrUnresolvedRef && ie.Ref != "#/components/schemas/Missing" {
				t.Errorf("Ref = %q", ie.Ref)
			}
		})
	}
}

func TestNotOpenAPIShapes(t *testing.T) {
	for name, doc := range map[string]string{
		"scalar":       "just a string",
		"list":         "[1, 2, 3]",
		"empty":        "",
		"openapi 2":    "openapi: 2.0\npaths: {}",
		"openapi only": "openapi: 3.0.0",
		"openapi map":  "openapi: {a: b}\npaths: {}",
	} {
		_, err := Audit(context.Background(), name, []byte(doc), Options{})
		if !errors.Is(err, ErrNotOpenAPI) && !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrNotOpenAPI", name, err)
		}
	}
}

// TestTooLarge: a 50 MB spec is refused from its size, by ReadFile before
// reading it and by Audit before parsing it.
func TestTooLarge(t *testing.T) {
	const size = 50 << 20
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: no 50 MB written
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	_, err = ReadFile(path, Options{})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("ReadFile took %v to refuse", d)
	}
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20 MB") {
		t.Fatalf("ReadFile: %v, want ErrTooLarge naming the 20 MB limit", err)
	}
	big := append([]byte("openapi: 3.0.0\npaths: {}\nx-pad: \""), bytes.Repeat([]byte("a"), size)...)
	start = time.Now()
	_, err = Audit(context.Background(), "huge", big, Options{})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "20 MB") {
		t.Fatalf("Audit: %v, want ErrTooLarge naming the limit", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Audit took %v to refuse", d)
	}
	// A smaller limit applies too.
	if _, err := Audit(context.Background(), "x", []byte("openapi: 3.0.0\npaths: {}\n"), Options{MaxBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxBytes 10: %v", err)
	}
}

// TestAliasBomb: YAML aliases are never expanded, so a billion-laughs
// document and a self-referencing anchor are cheap and do not hang.
func TestAliasBomb(t *testing.T) {
	doc := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\nx-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	prev := "a"
	for i := 0; i < 9; i++ {
		name := string(rune('b' + i))
		doc += "x-" + name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	doc += "components:\n  schemas:\n    Loop: &loop {type: object, properties: {self: *loop}}\n"
	start := time.Now()
	if _, err := Audit(context.Background(), "bomb", []byte(doc), Options{}); err != nil {
		t.Logf("err: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
}

func TestRefCycle(t *testing.T) {
	doc := `openapi: 3.0.0
info: {title: t, version: '1'}
paths:
  /a:
    post:
      summary: cyclic
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/A"}}}}
      responses: {"200": {$ref: "#/components/responses/R"}}
components:
  responses:
    R: {$ref: "#/components/responses/R"}
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {type: object, properties: {next: {$ref: "#/components/schemas/A"}}}
`
	if _, err := Audit(context.Background(), "cycle", []byte(doc), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestDisable(t *testing.T) {
	b, _ := os.ReadFile("testdata/findings/api8-misconfig.yaml")
	rep, err := Audit(context.Background(), "x", b, Options{Disable: []string{RuleServerHTTP, RuleCORSWildcard}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Worst() == SeverityError {
		t.Errorf("disabled rules still reported: %+v", rep.Findings)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, _ := os.ReadFile("testdata/clean/orders.yaml")
	if _, err := Audit(ctx, "x", b, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
