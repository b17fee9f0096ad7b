package governance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultMaxBytes is the largest spec Audit reads unless Options says
// otherwise: 20 MB.
const DefaultMaxBytes = 20 << 20

// Options tunes an audit. The zero value is the default.
type Options struct {
	// MaxBytes refuses larger specs with ErrTooLarge (0: DefaultMaxBytes).
	MaxBytes int64
	// Disable lists rule ids whose findings are dropped.
	Disable []string
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// Report is the audit of one spec.
type Report struct {
	Spec     string    `json:"spec"`
	Score    int       `json:"score"`
	Findings []Finding `json:"findings"`
	// Operations is how many operations (callbacks and webhooks included)
	// the score was spread over.
	Operations int `json:"operations"`
}

// Finding is one problem, located in the spec by a dotted path
// (paths./orders/{id}.get.parameters[0]) and, when known, a line.
type Finding struct {
	Rule     string   `json:"rule"`
	Category string   `json:"category"`
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
	Line     int      `json:"line,omitempty"`
	Hint     string   `json:"hint,omitempty"`
}

// Worst is the most severe finding's severity ("" when there is none).
func (r Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if f.Severity.Rank() > w.Rank() {
			w = f.Severity
		}
	}
	return w
}

// Count counts findings of one severity.
func (r Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// ReadFile reads a spec, refusing one over opts' limit from its size
// before reading it.
func ReadFile(name string, opts Options) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	limit := opts.maxBytes()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, tooLarge(name, st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(name, int64(len(b)), limit)
	}
	return b, nil
}

func tooLarge(name string, size, limit int64) error {
	return &InputError{Kind: ErrTooLarge, Spec: name,
		Detail: fmt.Sprintf("%d bytes or more, the limit is %s (%d bytes)", size, humanBytes(limit), limit)}
}

func humanBytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Audit checks one OpenAPI 3.x document (YAML or JSON) against the static
// rules. name is how the report and errors call it. Bad input is an
// *InputError; a spec with findings is no error.
func Audit(ctx context.Context, name string, spec []byte, opts Options) (rep Report, err error) {
	rep = Report{Spec: name, Findings: []Finding{}}
	if limit := opts.maxBytes(); int64(len(spec)) > limit {
		return rep, tooLarge(name, int64(len(spec)), limit)
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	root, err := parse(name, spec)
	if err != nil {
		return rep, err
	}
	if err := checkOpenAPI(name, root); err != nil {
		return rep, err
	}
	a := &auditor{root: root, name: name, visited: map[visitKey]bool{}, seen: map[string]bool{}}
	if err := a.checkRefs(root); err != nil {
		return rep, err
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	a.run()
	disabled := map[string]bool{}
	for _, d := range opts.Disable {
		disabled[d] = true
	}
	for _, f := range a.findings {
		if !disabled[f.Rule] {
			rep.Findings = append(rep.Findings, f)
		}
	}
	sortFindings(rep.Findings)
	rep.Operations = len(a.ops)
	rep.Score = Score(rep.Findings, rep.Operations)
	return rep, nil
}

// Score is the compliance score of findings over a spec of n operations
// (see the package doc for the formula).
func Score(findings []Finding, operations int) int {
	p := 0.0
	for _, f := range findings {
		switch f.Severity {
		case SeverityError:
			p += 10
		case SeverityWarning:
			p += 3
		case SeverityInfo:
			p += 1
		}
	}
	u := float64(operations + 1)
	return int(math.Round(100 * (1 - math.Min(1, p/(20*u)))))
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Line != fs[j].Line {
			return fs[i].Line < fs[j].Line
		}
		if fs[i].Path != fs[j].Path {
			return fs[i].Path < fs[j].Path
		}
		return fs[i].Rule < fs[j].Rule
	})
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// parse reads YAML or JSON into a node tree with lines. JSON goes through
// encoding/json first: a precise error, and tabs (legal JSON whitespace,
// awkward for YAML) become spaces.
func parse(name string, spec []byte) (*yaml.Node, error) {
	trimmed := bytes.TrimLeft(spec, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var v any
		if err := json.Unmarshal(spec, &v); err != nil {
			ie := &InputError{Kind: ErrSyntax, Spec: name, Detail: "JSON: " + err.Error()}
			if se, ok := err.(*json.SyntaxError); ok {
				ie.Line = 1 + bytes.Count(spec[:min(int(se.Offset), len(spec))], []byte("\n"))
			}
			return nil, ie
		}
		spec = bytes.ReplaceAll(spec, []byte("\t"), []byte(" "))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		ie := &InputError{Kind: ErrSyntax, Spec: name, Detail: strings.TrimPrefix(err.Error(), "yaml: ")}
		if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
			ie.Line, _ = strconv.Atoi(m[1])
			ie.Detail = strings.TrimPrefix(ie.Detail, m[0]+": ")
		}
		return nil, ie
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &InputError{Kind: ErrNotOpenAPI, Spec: name, Detail: "the document is empty"}
	}
	return doc.Content[0], nil
}

func checkOpenAPI(name string, root *yaml.Node) error {
	if root.Kind != yaml.MappingNode {
		return &InputError{Kind: ErrNotOpenAPI, Spec: name, Line: root.Line, Detail: "the top level is not a mapping"}
	}
	if v, ok := str(get(root, "swagger")); ok {
		return &InputError{Kind: ErrNotOpenAPI, Spec: name, Line: get(root, "swagger").Line,
			Detail: fmt.Sprintf("a Swagger %s document; convert it to OpenAPI 3 first", v)}
	}
	on := get(root, "openapi")
	v, ok := str(on)
	if on == nil || !ok {
		var keys []string
		for i := 0; i+1 < len(root.Content) && len(keys) < 5; i += 2 {
			keys = append(keys, root.Content[i].Value)
		}
		return &InputError{Kind: ErrNotOpenAPI, Spec: name,
			Detail: fmt.Sprintf("no top-level \"openapi\" version field (top-level keys: %s)", strings.Join(keys, ", "))}
	}
	if !strings.HasPrefix(v, "3.") {
		return &InputError{Kind: ErrNotOpenAPI, Spec: name, Line: on.Line,
			Detail: fmt.Sprintf("openapi %q: only OpenAPI 3.x is audited", v)}
	}
	if get(root, "paths") == nil && get(root, "webhooks") == nil && get(root, "components") == nil {
		return &InputError{Kind: ErrNotOpenAPI, Spec: name, Line: on.Line, Detail: "no paths, webhooks or components"}
	}
	return nil
}

// ---- node helpers; no helper follows a YAML alias into a cycle ----

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func get(m *yaml.Node, key string) *yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return deref(m.Content[i+1])
		}
	}
	return nil
}

// getKey returns the key node (for its line) and the value.
func getKey(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], deref(m.Content[i+1])
		}
	}
	return nil, nil
}

type pair struct {
	key   string
	line  int
	value *yaml.Node
}

func pairs(m *yaml.Node) []pair {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		if v := deref(m.Content[i+1]); v != nil {
			out = append(out, pair{m.Content[i].Value, m.Content[i].Line, v})
		}
	}
	return out
}

func items(s *yaml.Node) []*yaml.Node {
	s = deref(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, 0, len(s.Content))
	for _, c := range s.Content {
		if c = deref(c); c != nil {
			out = append(out, c)
		}
	}
	return out
}

func str(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

func sval(n *yaml.Node) string { s, _ := str(n); return s }

func isTrue(n *yaml.Node) bool { s, ok := str(n); return ok && s == "true" }

func isFalse(n *yaml.Node) bool { s, ok := str(n); return ok && s == "false" }

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func join(loc, key string) string {
	if loc == "" {
		return key
	}
	return loc + "." + key
}

func index(loc string, i int) string { return fmt.Sprintf("%s[%d]", loc, i) }

// ---- $ref checking and resolution ----

// checkRefs walks the whole tree once: every local $ref must resolve;
// external ones become API10 findings. Examples and extensions are data,
// not schema, so a "$ref" inside them is not a reference. The location is
// kept as a stack of segments and joined only when a $ref is met.
func (a *auditor) checkRefs(root *yaml.Node) error {
	var stack []string
	var walk func(n *yaml.Node, parentKey string) error
	walk = func(n *yaml.Node, parentKey string) error {
		if n == nil || len(stack) > 512 {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.AliasNode {
					continue
				}
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					if err := a.checkRef(v.Value, joinStack(stack), v.Line); err != nil {
						return err
					}
					continue
				}
				if v.Kind == yaml.ScalarNode {
					continue
				}
				if parentKey != "properties" && (strings.HasPrefix(k.Value, "x-") || k.Value == "example" || k.Value == "examples" || k.Value == "default" || k.Value == "enum" || k.Value == "const") {
					continue
				}
				stack = append(stack, "."+k.Value)
				err := walk(v, k.Value)
				stack = stack[:len(stack)-1]
				if err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if c.Kind == yaml.AliasNode || c.Kind == yaml.ScalarNode {
					continue
				}
				stack = append(stack, "["+strconv.Itoa(i)+"]")
				err := walk(c, "")
				stack = stack[:len(stack)-1]
				if err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, "")
}

func joinStack(stack []string) string {
	s := strings.Join(stack, "")
	return strings.TrimPrefix(s, ".")
}

func (a *auditor) checkRef(ref, loc string, ln int) error {
	if strings.HasPrefix(ref, "#") {
		if _, ok := a.pointer(ref); !ok {
			return &InputError{Kind: ErrUnresolvedRef, Spec: a.name, Ref: ref, Path: loc, Line: ln}
		}
		return nil
	}
	u, err := url.Parse(ref)
	if err == nil && strings.EqualFold(u.Scheme, "http") {
		a.add(RuleExternalRefHTTP, loc, ln, fmt.Sprintf("$ref %q loads a definition over plain http", ref))
		return nil
	}
	a.add(RuleExternalRef, loc, ln, fmt.Sprintf("$ref %q points outside this document and is not audited here", ref))
	return nil
}

// pointer resolves a local JSON pointer ("#/components/schemas/Order").
func (a *auditor) pointer(ref string) (*yaml.Node, bool) {
	p := strings.TrimPrefix(ref, "#")
	if p == "" {
		return a.root, true
	}
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	n := a.root
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		n = deref(n)
		switch {
		case n == nil:
			return nil, false
		case n.Kind == yaml.MappingNode:
			n = get(n, tok)
		case n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, false
			}
			n = deref(n.Content[i])
		default:
			return nil, false
		}
	}
	return n, n != nil
}

// refLoc turns "#/components/schemas/Order" into "components.schemas.Order".
func refLoc(ref string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(ref, "#"), "/")
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	toks := strings.Split(p, "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return strings.Join(toks, ".")
}

// resolve follows local $refs (at most 16 hops) and returns the target,
// its location and line; a node with no $ref is returned as it is.
func (a *auditor) resolve(n *yaml.Node, loc string) (*yaml.Node, string, int) {
	n = deref(n)
	ln := line(n)
	for i := 0; i < 16 && n != nil; i++ {
		ref, ok := str(get(n, "$ref"))
		if !ok || !strings.HasPrefix(ref, "#") {
			return n, loc, ln
		}
		t, ok := a.pointer(ref)
		if !ok {
			return nil, loc, ln
		}
		n, loc, ln = t, refLoc(ref), line(t)
	}
	if n != nil && get(n, "$ref") != nil {
		if ref, _ := str(get(n, "$ref")); strings.HasPrefix(ref, "#") {
			return nil, loc, ln // a $ref cycle
		}
	}
	return n, loc, ln
}
