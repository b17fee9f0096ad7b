package governance

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

type visitKey struct {
	n    *yaml.Node
	mode int
}

type auditor struct {
	root     *yaml.Node
	name     string
	findings []Finding
	seen     map[string]bool // rule + path, so a shared component is reported once
	visited  map[visitKey]bool
	ops      []*operation
	schemes  map[string]*yaml.Node
}

type operation struct {
	path, method string
	loc          string
	line         int
	node         *yaml.Node
	params       []param
	callback     bool // a callback or webhook: sent by the API, not served
}

type param struct {
	node *yaml.Node // resolved
	loc  string     // where it is used
	line int
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func (a *auditor) add(rule, loc string, ln int, msg string) {
	r, ok := ruleByID[rule]
	if !ok {
		panic("governance: unknown rule " + rule)
	}
	k := rule + "\x00" + loc
	if strings.HasPrefix(rule, "probe-") {
		k += "\x00" + msg // each probe reports what it saw
	}
	if a.seen[k] {
		return
	}
	a.seen[k] = true
	a.findings = append(a.findings, Finding{Rule: rule, Category: r.Category, Severity: r.Severity,
		Path: loc, Message: msg, Line: ln, Hint: r.Hint})
}

func (a *auditor) run() {
	a.collect()
	a.checkDocument()
	a.checkSchemes()
	for _, op := range a.ops {
		a.checkOperation(op)
	}
	a.checkRateLimitHeaders()
}

// collect lists the operations of paths, their callbacks, and webhooks.
func (a *auditor) collect() {
	a.schemes = map[string]*yaml.Node{}
	for _, p := range pairs(get(get(a.root, "components"), "securitySchemes")) {
		n, _, _ := a.resolve(p.value, "")
		a.schemes[p.key] = n
	}
	for _, p := range pairs(get(a.root, "paths")) {
		if !strings.HasPrefix(p.key, "/") {
			continue
		}
		a.collectPathItem(p.key, join("paths", p.key), p.value, false)
	}
	for _, p := range pairs(get(a.root, "webhooks")) {
		a.collectPathItem(p.key, join("webhooks", p.key), p.value, true)
	}
}

func (a *auditor) collectPathItem(path, loc string, item *yaml.Node, callback bool) {
	item, _, _ = a.resolve(item, loc)
	if item == nil || item.Kind != yaml.MappingNode {
		return
	}
	shared := a.params(get(item, "parameters"), join(loc, "parameters"))
	for _, m := range methods {
		k, opn := getKey(item, m)
		if opn == nil || opn.Kind != yaml.MappingNode {
			continue
		}
		op := &operation{path: path, method: m, loc: join(loc, m), line: k.Line, node: opn, callback: callback}
		own := a.params(get(opn, "parameters"), join(op.loc, "parameters"))
		// Operation parameters override path-level ones of the same name and place.
		op.params = own
		for _, sp := range shared {
			overridden := false
			for _, o := range own {
				if sval(get(o.node, "name")) == sval(get(sp.node, "name")) && sval(get(o.node, "in")) == sval(get(sp.node, "in")) {
					overridden = true
				}
			}
			if !overridden {
				op.params = append(op.params, sp)
			}
		}
		a.ops = append(a.ops, op)
		if !callback {
			for _, cb := range pairs(get(opn, "callbacks")) {
				cbn, cbloc, _ := a.resolve(cb.value, join(join(op.loc, "callbacks"), cb.key))
				for _, expr := range pairs(cbn) {
					a.collectPathItem(expr.key, join(cbloc, expr.key), expr.value, true)
				}
			}
		}
	}
}

func (a *auditor) params(seq *yaml.Node, loc string) []param {
	var out []param
	for i, n := range items(seq) {
		ploc := index(loc, i)
		r, _, _ := a.resolve(n, ploc)
		if r == nil || r.Kind != yaml.MappingNode {
			continue
		}
		out = append(out, param{node: r, loc: ploc, line: line(n)})
	}
	return out
}

// responses returns an operation's responses by status key.
type response struct {
	code string
	node *yaml.Node // resolved
	loc  string     // where it is defined (the component when a $ref)
	line int
}

func (a *auditor) responses(op *operation) []response {
	var out []response
	for _, p := range pairs(get(op.node, "responses")) {
		if strings.HasPrefix(p.key, "x-") {
			continue
		}
		loc := join(join(op.loc, "responses"), p.key)
		n, rloc, ln := a.resolve(p.value, loc)
		if n == nil {
			continue
		}
		if rloc == loc {
			ln = p.line
		}
		out = append(out, response{code: strings.ToUpper(p.key), node: n, loc: rloc, line: ln})
	}
	return out
}

func hasResponse(rs []response, codes ...string) bool {
	for _, r := range rs {
		for _, c := range codes {
			if r.code == c {
				return true
			}
		}
	}
	return false
}

func (a *auditor) header(r response, name string) (*yaml.Node, string, int) {
	for _, h := range pairs(get(r.node, "headers")) {
		if strings.EqualFold(h.key, name) {
			loc := join(join(r.loc, "headers"), h.key)
			n, hloc, ln := a.resolve(h.value, loc)
			if hloc == loc {
				ln = h.line
			}
			return n, hloc, ln
		}
	}
	return nil, "", 0
}

// security is an operation's effective security requirement: its own, or
// the document's. declared tells whether either exists at all.
type requirement map[string][]string

func (a *auditor) security(op *operation) (reqs []requirement, declared bool, loc string, ln int) {
	k, n := getKey(op.node, "security")
	loc = join(op.loc, "security")
	if n == nil {
		k, n = getKey(a.root, "security")
		loc = "security"
	}
	if n == nil {
		return nil, false, "", 0
	}
	for _, alt := range items(n) {
		r := requirement{}
		for _, p := range pairs(alt) {
			var scopes []string
			for _, s := range items(p.value) {
				scopes = append(scopes, sval(s))
			}
			r[p.key] = scopes
		}
		reqs = append(reqs, r)
	}
	return reqs, true, loc, line(k)
}

// unsecured: no requirement, an empty list, or an empty alternative ({})
// that makes authentication optional.
func unsecured(reqs []requirement) bool {
	if len(reqs) == 0 {
		return true
	}
	for _, r := range reqs {
		if len(r) == 0 {
			return true
		}
	}
	return false
}

func opName(op *operation) string {
	return fmt.Sprintf("%s %s", strings.ToUpper(op.method), op.path)
}

func segments(path string) []string {
	var out []string
	for _, s := range strings.Split(strings.ToLower(path), "/") {
		if s != "" && !strings.HasPrefix(s, "{") {
			out = append(out, s)
		}
	}
	return out
}

func anySegment(path string, set map[string]bool) (string, bool) {
	for _, s := range segments(path) {
		if set[s] {
			return s, true
		}
		// "admin-users", "checkout_session"
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if set[part] {
				return s, true
			}
		}
	}
	return "", false
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func mentions(n *yaml.Node, words ...string) bool {
	for _, k := range []string{"description", "summary"} {
		s := strings.ToLower(sval(get(n, k)))
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
	}
	return false
}

func hasExtension(n *yaml.Node, names ...string) bool {
	for _, name := range names {
		if get(n, name) != nil {
			return true
		}
	}
	return false
}
