package governance

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

const (
	modeInput  = 1 // what clients send: sizes (API4), mass assignment (API3), URLs (API7)
	modeOutput = 2 // what the API returns: sensitive properties (API3)
)

// boundedFormats have a length of their own.
var boundedFormats = set("uuid", "date", "date-time", "time", "ipv4", "ipv6", "ulid", "duration", "int32", "int64", "byte-size")

// schemaTypes is the set of types a schema declares ("type: x" or, in 3.1,
// "type: [x, null]"), inferring object and array from their keywords.
func schemaTypes(s *yaml.Node) map[string]bool {
	t := map[string]bool{}
	if s == nil {
		return t
	}
	tn := get(s, "type")
	if v, ok := str(tn); ok {
		t[v] = true
	}
	for _, i := range items(tn) {
		t[sval(i)] = true
	}
	if len(t) == 0 {
		if get(s, "properties") != nil {
			t["object"] = true
		}
		if get(s, "items") != nil {
			t["array"] = true
		}
	}
	return t
}

// walkSchema checks one schema and descends into its parts. A $ref is
// followed to its definition, which is checked once per mode at its own
// location, so a shared component yields one finding, not one per use.
// branch is true for allOf/anyOf/oneOf members, which cannot be closed
// on their own in OpenAPI 3.0.
func (a *auditor) walkSchema(n *yaml.Node, loc string, ln int, mode, depth int, branch bool) {
	if depth > 64 {
		return
	}
	s, sloc, sln := a.resolve(n, loc)
	if s == nil || s.Kind != yaml.MappingNode {
		return
	}
	if sloc != loc {
		loc, ln = sloc, sln
	}
	k := visitKey{s, mode}
	if a.visited[k] {
		return
	}
	a.visited[k] = true

	t := schemaTypes(s)
	enumerated := get(s, "enum") != nil || get(s, "const") != nil
	if mode == modeInput && !enumerated {
		if t["string"] && get(s, "maxLength") == nil && !boundedFormats[sval(get(s, "format"))] {
			a.add(RuleStringUnbounded, loc, ln, "string has no maxLength, enum or bounded format")
		}
		if (t["integer"] || t["number"]) && get(s, "maximum") == nil && get(s, "exclusiveMaximum") == nil {
			a.add(RuleIntegerUnbounded, loc, ln, fmt.Sprintf("%s has no maximum", typeWord(t)))
		}
		if t["array"] && get(s, "maxItems") == nil {
			a.add(RuleArrayUnbounded, loc, ln, "array has no maxItems")
		}
		if t["object"] && get(s, "properties") != nil && !branch && open(s) {
			a.add(RuleMassAssignment, loc, ln, "object accepts properties it does not list (additionalProperties is not false)")
		}
	}

	for _, p := range pairs(get(s, "properties")) {
		ploc := join(join(loc, "properties"), p.key)
		ps, _, _ := a.resolve(p.value, ploc)
		if ps == nil {
			continue
		}
		if mode == modeInput {
			if isTrue(get(ps, "readOnly")) {
				continue // never sent by clients
			}
			a.checkURLValue(p.key, ps, ploc, p.line)
		}
		if mode == modeOutput {
			if isTrue(get(ps, "writeOnly")) {
				continue
			}
			if sensitiveName(p.key) {
				a.add(RuleSensitiveExposed, ploc, p.line, fmt.Sprintf("response property %q looks sensitive and is not writeOnly", p.key))
			}
		}
		a.walkSchema(p.value, ploc, p.line, mode, depth+1, false)
	}
	if it := get(s, "items"); it != nil {
		a.walkSchema(it, join(loc, "items"), line(it), mode, depth+1, false)
	}
	for i, it := range items(get(s, "prefixItems")) {
		a.walkSchema(it, index(join(loc, "prefixItems"), i), line(it), mode, depth+1, false)
	}
	if ap := get(s, "additionalProperties"); ap != nil && ap.Kind == yaml.MappingNode {
		a.walkSchema(ap, join(loc, "additionalProperties"), line(ap), mode, depth+1, false)
	}
	for _, comb := range []string{"allOf", "anyOf", "oneOf"} {
		for i, b := range items(get(s, comb)) {
			a.walkSchema(b, index(join(loc, comb), i), line(b), mode, depth+1, true)
		}
	}
}

func typeWord(t map[string]bool) string {
	if t["integer"] {
		return "integer"
	}
	return "number"
}

// open: an object schema that accepts unlisted properties.
func open(s *yaml.Node) bool {
	if isFalse(get(s, "additionalProperties")) || isFalse(get(s, "unevaluatedProperties")) {
		return false
	}
	if ap := get(s, "additionalProperties"); ap != nil && ap.Kind == yaml.MappingNode {
		if a := get(ap, "not"); a != nil && a.Kind == yaml.MappingNode && len(a.Content) == 0 {
			return false // additionalProperties: {not: {}}
		}
	}
	return true
}

// checkURLValue flags a client-supplied URL that is not restricted to an
// allow list (API7).
func (a *auditor) checkURLValue(name string, s *yaml.Node, loc string, ln int) {
	t := schemaTypes(s)
	if len(t) > 0 && !t["string"] {
		return
	}
	f := strings.ToLower(sval(get(s, "format")))
	byFormat := f == "uri" || f == "url" || f == "uri-reference" || f == "iri" || f == "iri-reference" || f == "uri-template"
	if !byFormat && !urlName(name) {
		return
	}
	if get(s, "enum") != nil || get(s, "const") != nil || get(s, "pattern") != nil {
		return
	}
	why := fmt.Sprintf("format %s", f)
	if !byFormat {
		why = "its name"
	}
	a.add(RuleSSRF, loc, ln, fmt.Sprintf("%q is a client-supplied URL (by %s) with no allow list (enum or pattern)", name, why))
}
