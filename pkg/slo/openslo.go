package slo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MetricSourceType is the metricSource.type of an SLI counted from
// request-completed events.
const MetricSourceType = "cogniforge"

// MinEventsAnnotation is the SLO metadata annotation that sets MinEvents,
// the low-traffic gate (DefaultMinEvents when absent).
const MinEventsAnnotation = "cogniforge.dev/min-events"

// ErrNoDefinitionFiles is returned (wrapped) by LoadDir and LoadFiles for a
// directory holding no *.yaml or *.yml file.
var ErrNoDefinitionFiles = errors.New("no *.yaml or *.yml files")

// DefinitionError is one problem in a definition: where it is and what was
// expected. Parse and the loaders return them joined with errors.Join.
type DefinitionError struct {
	File string // the source name given to Parse, or the file path
	Doc  int    // the YAML document, 1-based; 0 for the file as a whole
	Kind string // the document's kind, when known
	Name string // the document's metadata.name, when known
	Path string // the field, such as "spec.objectives[0].target"
	Line int    // the line in the file, 0 when unknown
	Msg  string // what is wrong and what was expected
}

// Error reads like
// `api.yaml: document 2 (SLO checkout): spec.objectives[0].target: 1.5 is outside (0, 1) (line 14)`.
func (e *DefinitionError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Doc > 0 {
		fmt.Fprintf(&b, ": document %d", e.Doc)
		switch {
		case e.Kind != "" && e.Name != "":
			fmt.Fprintf(&b, " (%s %s)", e.Kind, e.Name)
		case e.Kind != "":
			fmt.Fprintf(&b, " (%s)", e.Kind)
		}
	}
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

// Parse compiles the OpenSLO v1 documents of one file (source names it in
// errors and in SLO.Source): one SLO per objective of every kind: SLO
// document. References resolve within the file only; LoadFiles resolves
// across files. On any error it returns no SLO and every problem found.
//
// What is read of OpenSLO v1, beyond its text, and why:
//   - Kinds SLO, SLI, AlertPolicy, AlertCondition and AlertNotificationTarget.
//     Notification targets are checked and kept only as names that
//     notificationTargets[].targetRef may resolve to: alerts leave as catalog
//     events and the incident capability routes them. DataSource and Service
//     are refused: a cogniforge SLI reads events, not a data source.
//   - A metric source is {type: cogniforge, spec: SELECTOR}: the selector
//     picks request-completed events by service, operation, region, status,
//     httpStatus and durationMs, the fields the event has.
//   - Budgeting Occurrences and Timeslices. RatioTimeslices (in OpenSLO v1)
//     is refused until the evaluator averages slice ratios.
//   - Rolling windows in m, h, d or w (at most 366d); calendar windows 1M and
//     1w, aligned to the calendar month and the ISO week (Monday 00:00) in
//     calendar.timeZone, so a startTime must fall on such a boundary.
//   - An AlertPolicy may hold several conditions (OpenSLO v1 allows one; the
//     Workbook's table needs four). A burnrate condition compiles to an
//     AlertRule: lookbackWindow is the long window, alertAfter the short one
//     (lookbackWindow/12 when absent, the Workbook's ratio). alertWhenNoData:
//     true and alertWhenBreaching: false are refused: an empty window never
//     alerts (the low-traffic gate) and a breach always does.
//   - Objectives' op and value (for threshold metrics) are accepted and
//     ignored, as the OpenSLO examples give op with ratio metrics; composite
//     objectives (indicator, indicatorRef, compositeWeight) are refused.
//   - thresholdMetric and raw ratios are refused: a latency SLI is a ratio
//     whose good selector has a durationMs condition.
//   - Severities page, critical and high page; ticket, warning, medium and
//     low open a ticket. Conditions compare with gt or gte: lt and lte would
//     alert on a slow burn.
//   - The annotation cogniforge.dev/min-events sets MinEvents.
//   - An SLO of several objectives compiles to one SLO per objective, named
//     metadata.name + "/" + the objective's displayName (or its 0-based
//     index); Source is "file#document" (1-based).
//   - Unknown fields are errors. The YAML is read as nodes rather than
//     decoded with KnownFields so that each error names the field's path
//     and line, and all of a file's problems are reported at once.
func Parse(source string, data []byte) ([]SLO, error) {
	d := newOsloDefs()
	d.add(source, data)
	return d.compile()
}

// LoadDir loads every *.yaml and *.yml file of dir (not its
// subdirectories), in name order, as LoadFiles does.
func LoadDir(dir string) ([]SLO, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, &fs.PathError{Op: "load", Path: dir, Err: errors.New("not a directory")}
	}
	return LoadFiles(dir)
}

// LoadFiles compiles the definitions of all the files given together, so
// an SLO may name an SLI, AlertPolicy or AlertCondition of another file. A
// directory stands for its *.yaml and *.yml files in name order. A file
// that cannot be read is returned at once as an *fs.PathError; definition
// problems come back as joined *DefinitionError values.
func LoadFiles(paths ...string) ([]SLO, error) {
	d := newOsloDefs()
	for _, p := range paths {
		files, err := osloExpand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			d.add(f, data)
		}
	}
	return d.compile()
}

// osloExpand turns a directory into its YAML files, sorted.
func osloExpand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(p, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: %w", p, ErrNoDefinitionFiles)
	}
	sort.Strings(files)
	return files, nil
}

// osloDoc is where a problem is: a document of a file. Its methods report
// problems into the shared list.
type osloDoc struct {
	file       string
	index      int
	kind, name string
	errs       *[]error
	bad        bool // some problem was reported in this document
}

func (d *osloDoc) errorf(path string, n *yaml.Node, format string, args ...any) {
	d.bad = true
	line := 0
	if n != nil {
		line = n.Line
	}
	*d.errs = append(*d.errs, &DefinitionError{
		File: d.file, Doc: d.index, Kind: d.kind, Name: d.name,
		Path: path, Line: line, Msg: fmt.Sprintf(format, args...),
	})
}

func (d *osloDoc) source() string { return d.file + "#" + strconv.Itoa(d.index) }

// osloEntry is a named definition of some kind and the document it came
// from; ok is false when the document had problems (already reported), so
// what refers to it is not compiled but not reported again either.
type osloEntry[T any] struct {
	doc *osloDoc
	ok  bool
	v   T
}

// osloSLI is a compiled ratio SLI.
type osloSLI struct {
	good, bad, total Selector
	hasGood, hasBad  bool
}

// osloUse is an inline definition or a reference to a named one, with the
// place it was written.
type osloUse[T any] struct {
	inline *osloEntry[T] // nil for a reference
	ref    string
	path   string
	node   *yaml.Node
}

// osloTargetRef is a notificationTargets[].targetRef, checked once every
// AlertNotificationTarget is known.
type osloTargetRef struct {
	doc       *osloDoc
	ref, path string
	node      *yaml.Node
}

type osloPolicy struct {
	conds []osloUse[AlertRule]
}

type osloObjective struct {
	name            string // "" for a single objective
	path            string
	node            *yaml.Node
	target          float64
	timeSliceTarget float64
	timeSliceWindow time.Duration
}

type osloSLO struct {
	doc         *osloDoc
	description string
	service     string
	indicator   osloUse[osloSLI]
	window      Window
	windowNode  *yaml.Node
	budgeting   Budgeting
	objectives  []osloObjective
	policies    []osloUse[osloPolicy]
	minEvents   int64
}

// osloDefs gathers every document of every file, then compiles the SLOs
// once all names are known.
type osloDefs struct {
	errs       []error
	slos       []*osloSLO
	slis       map[string]*osloEntry[osloSLI]
	policies   map[string]*osloEntry[osloPolicy]
	conditions map[string]*osloEntry[AlertRule]
	targets    map[string]*osloEntry[struct{}]
	targetRefs []osloTargetRef
	policyDocs []*osloEntry[osloPolicy] // kind: AlertPolicy, in order
	sloNames   map[string]*osloDoc      // compiled names
	sloDocs    map[string]*osloDoc      // metadata names
}

func newOsloDefs() *osloDefs {
	return &osloDefs{
		slis:       map[string]*osloEntry[osloSLI]{},
		policies:   map[string]*osloEntry[osloPolicy]{},
		conditions: map[string]*osloEntry[AlertRule]{},
		targets:    map[string]*osloEntry[struct{}]{},
		sloNames:   map[string]*osloDoc{},
		sloDocs:    map[string]*osloDoc{},
	}
}

// add reads the documents of one file.
func (d *osloDefs) add(file string, data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return
		}
		doc := &osloDoc{file: file, index: i, errs: &d.errs}
		if err != nil {
			// The YAML itself is broken: nothing after this point can be
			// read reliably.
			doc.errorf("", nil, "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
		if len(n.Content) == 0 || n.Content[0].ShortTag() == "!!null" {
			continue // an empty document, such as a trailing "---"
		}
		d.document(doc, n.Content[0])
	}
}

// document reads one top-level object.
func (d *osloDefs) document(doc *osloDoc, root *yaml.Node) {
	// Name the document in all its errors, even those found before its
	// kind and name are read.
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i].Value, osloDeref(root.Content[i+1])
			if k == "kind" && v.Kind == yaml.ScalarNode {
				doc.kind = v.Value
			}
			for j := 0; k == "metadata" && v.Kind == yaml.MappingNode && j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "name" && osloDeref(v.Content[j+1]).Kind == yaml.ScalarNode {
					doc.name = osloDeref(v.Content[j+1]).Value
				}
			}
		}
	}
	f := doc.fields(root, "", "apiVersion", "kind", "metadata", "spec")
	if f == nil {
		return
	}
	if f["kind"] == nil {
		doc.missing("kind", root, "kind: SLO, SLI, AlertPolicy, AlertCondition or AlertNotificationTarget")
	} else {
		doc.kind, _ = doc.str(f["kind"], "kind", true)
	}
	doc.apiVersion(f["apiVersion"], "apiVersion", root, true)
	switch doc.kind {
	case "":
		return
	case "SLO":
		meta := doc.metadata(f["metadata"], "metadata", root, true)
		s := doc.slo(f["spec"], "spec", root, d)
		if s == nil {
			return
		}
		s.minEvents = meta.minEvents
		if prev, dup := d.sloDocs[meta.name]; dup && meta.name != "" {
			doc.errorf("metadata.name", f["metadata"], "SLO %q is already defined in %s", meta.name, prev.source())
		} else {
			d.sloDocs[meta.name] = doc
		}
		d.slos = append(d.slos, s)
	case "SLI":
		meta := doc.metadata(f["metadata"], "metadata", root, true)
		e := &osloEntry[osloSLI]{doc: doc}
		e.v = doc.sliSpec(f["spec"], "spec", root)
		e.ok = !doc.bad
		osloRegister(d.slis, meta.name, e, "SLI", f["metadata"])
	case "AlertPolicy":
		meta := doc.metadata(f["metadata"], "metadata", root, true)
		e := &osloEntry[osloPolicy]{doc: doc}
		e.v = doc.policySpec(f["spec"], "spec", root, d)
		e.ok = !doc.bad
		osloRegister(d.policies, meta.name, e, "AlertPolicy", f["metadata"])
		d.policyDocs = append(d.policyDocs, e)
	case "AlertCondition":
		meta := doc.metadata(f["metadata"], "metadata", root, true)
		e := &osloEntry[AlertRule]{doc: doc}
		e.v = doc.conditionSpec(f["spec"], "spec", root)
		e.v.Name = meta.name
		e.ok = !doc.bad
		osloRegister(d.conditions, meta.name, e, "AlertCondition", f["metadata"])
	case "AlertNotificationTarget":
		meta := doc.metadata(f["metadata"], "metadata", root, true)
		doc.targetSpec(f["spec"], "spec", root)
		osloRegister(d.targets, meta.name, &osloEntry[struct{}]{doc: doc, ok: !doc.bad}, "AlertNotificationTarget", f["metadata"])
	default:
		doc.errorf("kind", f["kind"], "%q is not supported; expected SLO, SLI, AlertPolicy, AlertCondition or AlertNotificationTarget", doc.kind)
	}
}

// osloRegister records a named definition; a second one of the same kind
// and name is an error in the second document.
func osloRegister[T any](m map[string]*osloEntry[T], name string, e *osloEntry[T], kind string, at *yaml.Node) {
	if name == "" {
		return // reported by metadata
	}
	if prev, dup := m[name]; dup {
		e.doc.errorf("metadata.name", at, "%s %q is already defined in %s", kind, name, prev.doc.source())
		return
	}
	m[name] = e
}

// compile resolves references and returns one SLO per objective.
func (d *osloDefs) compile() ([]SLO, error) {
	for _, u := range d.targetRefs {
		if _, ok := d.targets[u.ref]; !ok {
			u.doc.errorf(u.path, u.node, "no AlertNotificationTarget named %q in the definitions given", u.ref)
		}
	}
	// A policy's conditionRefs are checked in the policy's document, so
	// every SLO naming it does not report them again, and a policy no SLO
	// uses yet is checked too.
	for _, p := range d.policyDocs {
		for _, u := range p.v.conds {
			if _, found := osloResolve(p.doc, u, d.conditions, "AlertCondition"); !found {
				p.ok = false
			}
		}
	}
	var out []SLO
	for _, s := range d.slos {
		out = append(out, d.compileSLO(s)...)
	}
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return out, nil
}

func (d *osloDefs) compileSLO(s *osloSLO) []SLO {
	doc := s.doc
	ok := !doc.bad
	sli, found := osloResolve(doc, s.indicator, d.slis, "SLI")
	ok = ok && found
	var alerts []AlertRule
	seen := map[string]string{}
	for _, pu := range s.policies {
		pol, found := osloResolve(doc, pu, d.policies, "AlertPolicy")
		if !found {
			ok = false
			continue
		}
		for _, cu := range pol.conds {
			rule, found := osloResolve(doc, cu, d.conditions, "AlertCondition")
			if !found {
				ok = false
				continue
			}
			if prev, dup := seen[rule.Name]; dup {
				doc.errorf(pu.path, pu.node, "alert condition %q is used twice (also in %s): rules are named by their condition", rule.Name, prev)
				ok = false
				continue
			}
			seen[rule.Name] = pu.path
			if w := osloShortest(s.window); w > 0 && rule.Long > w {
				doc.errorf(pu.path, pu.node, "alert condition %q looks back %s, longer than the SLO window", rule.Name, FormatWindow(rule.Long))
				ok = false
			}
			alerts = append(alerts, rule)
		}
	}
	if len(s.policies) == 0 {
		alerts = DefaultAlerts()
		// The Workbook's table looks back up to 3 days: a shorter window
		// cannot hold it.
		for _, r := range alerts {
			if w := osloShortest(s.window); w > 0 && r.Long > w {
				doc.errorf("spec.timeWindow", s.windowNode, "%s is shorter than the %s look-back of the default alert rule %s: give a longer window, or alertPolicies that look back at most as far", FormatWindow(w), FormatWindow(r.Long), r.Name)
				ok = false
				break
			}
		}
	}
	if !ok {
		return nil
	}
	out := make([]SLO, 0, len(s.objectives))
	for _, o := range s.objectives {
		name := doc.name
		if o.name != "" {
			name += "/" + o.name
		}
		if prev, dup := d.sloNames[name]; dup {
			if prev != doc && o.name == "" {
				continue // the document's name is reported as a duplicate
			}
			doc.errorf(o.path, o.node, "SLO name %q is already defined in %s", name, prev.source())
			continue
		}
		d.sloNames[name] = doc
		out = append(out, SLO{
			Name:            name,
			Service:         s.service,
			Description:     s.description,
			Source:          doc.source(),
			Good:            sli.good,
			Bad:             sli.bad,
			Total:           sli.total,
			HasGood:         sli.hasGood,
			HasBad:          sli.hasBad,
			Target:          o.target,
			Window:          s.window,
			Budgeting:       s.budgeting,
			TimeSliceTarget: o.timeSliceTarget,
			TimeSliceWindow: o.timeSliceWindow,
			Alerts:          append([]AlertRule(nil), alerts...),
			MinEvents:       s.minEvents,
		})
	}
	return out
}

// osloResolve returns the inline definition or the named one; found is
// false when it is missing (reported here) or had problems (reported in
// its own document).
func osloResolve[T any](doc *osloDoc, u osloUse[T], m map[string]*osloEntry[T], kind string) (v T, found bool) {
	if u.inline != nil {
		return u.inline.v, u.inline.ok
	}
	if u.ref == "" {
		return v, false // the field itself was wrong, and reported
	}
	e, ok := m[u.ref]
	if !ok {
		doc.errorf(u.path, u.node, "no %s named %q in the definitions given", kind, u.ref)
		return v, false
	}
	return e.v, e.ok
}

// --- YAML node helpers ---

func osloJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func osloDeref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func osloDescribe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "something else"
}

// fields reads a mapping whose keys must be among allowed. It returns nil
// (after reporting) when n is not a mapping; an absent n gives nil too.
func (d *osloDoc) fields(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	n = osloDeref(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(path, n, "expected a mapping with %s, got %s", strings.Join(allowed, ", "), osloDescribe(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := osloDeref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(path, k, "keys must be strings, got %s", osloDescribe(k))
			continue
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		switch {
		case !known:
			d.errorf(osloJoin(path, k.Value), k, "unknown field; expected one of %s", strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			d.errorf(osloJoin(path, k.Value), k, "given twice")
		default:
			out[k.Value] = v
		}
	}
	return out
}

// list reads a sequence; null counts as empty.
func (d *osloDoc) list(n *yaml.Node, path string) []*yaml.Node {
	n = osloDeref(n)
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(path, n, "expected a list, got %s", osloDescribe(n))
		return nil
	}
	return n.Content
}

// missing reports a required field absent from parent.
func (d *osloDoc) missing(path string, parent *yaml.Node, what string) {
	d.errorf(path, parent, "required: %s", what)
}

// str reads a non-empty scalar as text; ok is false when absent (reported
// if required) or wrong (reported).
func (d *osloDoc) str(n *yaml.Node, path string, required bool) (string, bool) {
	n = osloDeref(n)
	if n == nil {
		if required {
			d.errorf(path, nil, "required")
		}
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" || n.Value == "" {
		d.errorf(path, n, "expected a non-empty string, got %s", osloDescribe(n))
		return "", false
	}
	return n.Value, true
}

// number reads a YAML number (not a quoted one).
func (d *osloDoc) number(n *yaml.Node, path string) (float64, bool) {
	n = osloDeref(n)
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	d.errorf(path, n, "expected a number, got %s", osloDescribe(n))
	return 0, false
}

func (d *osloDoc) boolean(n *yaml.Node, path string) (bool, bool) {
	n = osloDeref(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true, true
		default:
			return false, true
		}
	}
	d.errorf(path, n, "expected true or false, got %s", osloDescribe(n))
	return false, false
}

func (d *osloDoc) apiVersion(n *yaml.Node, path string, parent *yaml.Node, required bool) {
	if n == nil {
		if required {
			d.missing(path, parent, "openslo/v1")
		}
		return
	}
	if v, ok := d.str(n, path, true); ok && v != "openslo/v1" {
		d.errorf(path, n, "%q is not supported; expected openslo/v1", v)
	}
}

// inlineKind checks the optional kind of an inline object.
func (d *osloDoc) inlineKind(n *yaml.Node, path, want string) {
	if n == nil {
		return
	}
	if v, ok := d.str(n, path, true); ok && v != want {
		d.errorf(path, n, "%q where %s was expected", v, want)
	}
}

type osloMeta struct {
	name      string
	minEvents int64
}

// metadata reads metadata; name is required when named is set.
func (d *osloDoc) metadata(n *yaml.Node, path string, parent *yaml.Node, named bool) osloMeta {
	var m osloMeta
	m.minEvents = DefaultMinEvents
	if n == nil {
		if named {
			d.missing(path, parent, "metadata with a name")
		}
		return m
	}
	f := d.fields(n, path, "name", "displayName", "labels", "annotations")
	if f == nil {
		return m
	}
	if f["name"] == nil {
		if named {
			d.missing(osloJoin(path, "name"), osloDeref(n), "a name")
		}
	} else if name, ok := d.str(f["name"], osloJoin(path, "name"), true); ok {
		if reason := osloNameProblem(name); reason != "" {
			d.errorf(osloJoin(path, "name"), f["name"], "%q %s", name, reason)
		} else {
			m.name = name
		}
	}
	if f["displayName"] != nil {
		d.str(f["displayName"], osloJoin(path, "displayName"), false)
	}
	if l := f["labels"]; l != nil {
		lp := osloJoin(path, "labels")
		for k, v := range d.stringMap(l, lp) {
			v = osloDeref(v)
			if v.Kind == yaml.SequenceNode {
				for i, e := range v.Content {
					d.str(e, fmt.Sprintf("%s.%s[%d]", lp, k, i), true)
				}
			} else {
				d.str(v, osloJoin(lp, k), true)
			}
		}
	}
	if a := f["annotations"]; a != nil {
		ap := osloJoin(path, "annotations")
		for k, v := range d.stringMap(a, ap) {
			text, ok := d.str(v, osloJoin(ap, k), true)
			if ok && k == MinEventsAnnotation {
				n, err := strconv.ParseInt(text, 10, 64)
				if err != nil || n < 0 {
					d.errorf(osloJoin(ap, k), v, "%q is not a non-negative integer (the events a rule's long window must hold before it may fire)", text)
				} else {
					m.minEvents = n
				}
			}
		}
	}
	return m
}

// stringMap reads a mapping with any string keys.
func (d *osloDoc) stringMap(n *yaml.Node, path string) map[string]*yaml.Node {
	n = osloDeref(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(path, n, "expected a mapping, got %s", osloDescribe(n))
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := osloDeref(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.errorf(path, k, "keys must be non-empty strings")
			continue
		}
		if out[k.Value] != nil {
			d.errorf(osloJoin(path, k.Value), k, "given twice")
			continue
		}
		out[k.Value] = n.Content[i+1]
	}
	return out
}

// osloNameProblem checks an object name: it names SLOs in the store, in
// alerts and on the command line, so it holds no space or slash; OpenSLO
// asks for at least RFC 1123 labels, upper case and "_." are allowed too.
func osloNameProblem(name string) string {
	if len(name) > 63 {
		return "is longer than 63 characters"
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && !(i > 0 && i < len(name)-1 && (r == '-' || r == '_' || r == '.')) {
			return "is not a valid name: letters, digits and '-', '_', '.' between them"
		}
	}
	return ""
}

func (d *osloDoc) description(n *yaml.Node, path string) string {
	if n == nil {
		return ""
	}
	s, _ := d.str(n, path, false)
	if len(s) > 1050 {
		d.errorf(path, n, "is %d characters long; at most 1050", len(s))
	}
	return s
}

// --- SLO ---

func (d *osloDoc) slo(n *yaml.Node, path string, parent *yaml.Node, defs *osloDefs) *osloSLO {
	if n == nil {
		d.missing(path, parent, "spec")
		return nil
	}
	f := d.fields(n, path, "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod", "objectives", "alertPolicies")
	if f == nil {
		return nil
	}
	n = osloDeref(n)
	s := &osloSLO{doc: d}
	s.description = d.description(f["description"], osloJoin(path, "description"))
	if f["service"] == nil {
		d.missing(osloJoin(path, "service"), n, "the service the SLO is about")
	} else {
		s.service, _ = d.str(f["service"], osloJoin(path, "service"), true)
	}

	switch ind, ref := f["indicator"], f["indicatorRef"]; {
	case ind != nil && ref != nil:
		d.errorf(osloJoin(path, "indicatorRef"), ref, "give indicator or indicatorRef, not both")
	case ind != nil:
		s.indicator = osloUse[osloSLI]{inline: d.inlineSLI(ind, osloJoin(path, "indicator"))}
	case ref != nil:
		p := osloJoin(path, "indicatorRef")
		r, _ := d.str(ref, p, true)
		s.indicator = osloUse[osloSLI]{ref: r, path: p, node: ref}
	default:
		d.missing(osloJoin(path, "indicator"), n, "indicator (an inline SLI) or indicatorRef (the name of a kind: SLI)")
	}

	if f["timeWindow"] == nil {
		d.missing(osloJoin(path, "timeWindow"), n, "a list with one window, such as [{duration: 30d, isRolling: true}]")
	} else {
		s.window = d.timeWindow(f["timeWindow"], osloJoin(path, "timeWindow"))
		s.windowNode = f["timeWindow"]
	}

	bp := osloJoin(path, "budgetingMethod")
	if f["budgetingMethod"] == nil {
		d.missing(bp, n, "Occurrences or Timeslices")
	} else if b, ok := d.str(f["budgetingMethod"], bp, true); ok {
		switch Budgeting(b) {
		case Occurrences, Timeslices:
			s.budgeting = Budgeting(b)
		case "RatioTimeslices":
			d.errorf(bp, f["budgetingMethod"], "RatioTimeslices is not supported yet; expected Occurrences or Timeslices")
		default:
			d.errorf(bp, f["budgetingMethod"], "%q is not a budgeting method; expected Occurrences or Timeslices", b)
		}
	}

	op := osloJoin(path, "objectives")
	objs := d.list(f["objectives"], op)
	if len(objs) == 0 && (f["objectives"] == nil || osloDeref(f["objectives"]).Kind == yaml.SequenceNode || osloDeref(f["objectives"]).ShortTag() == "!!null") {
		d.missing(op, n, "at least one objective with a target")
	}
	names := map[string]int{}
	for i, o := range objs {
		p := fmt.Sprintf("%s[%d]", op, i)
		obj := d.objective(o, p, s.budgeting, s.window)
		if len(objs) > 1 {
			if obj.name == "" {
				obj.name = strconv.Itoa(i)
			}
			if j, dup := names[obj.name]; dup {
				d.errorf(p+".displayName", o, "%q is the name of %s[%d] too: objectives of one SLO need distinct displayNames", obj.name, op, j)
			}
			names[obj.name] = i
		} else {
			obj.name = ""
		}
		s.objectives = append(s.objectives, obj)
	}

	ap := osloJoin(path, "alertPolicies")
	for i, a := range d.list(f["alertPolicies"], ap) {
		p := fmt.Sprintf("%s[%d]", ap, i)
		af := d.fields(a, p, "alertPolicyRef", "apiVersion", "kind", "metadata", "spec")
		if af == nil {
			continue
		}
		if r := af["alertPolicyRef"]; r != nil {
			if len(af) > 1 {
				d.errorf(p, a, "give alertPolicyRef alone or an inline AlertPolicy (kind, metadata, spec), not both")
				continue
			}
			ref, _ := d.str(r, p+".alertPolicyRef", true)
			s.policies = append(s.policies, osloUse[osloPolicy]{ref: ref, path: p + ".alertPolicyRef", node: r})
			continue
		}
		d.apiVersion(af["apiVersion"], p+".apiVersion", a, false)
		d.inlineKind(af["kind"], p+".kind", "AlertPolicy")
		d.metadata(af["metadata"], p+".metadata", osloDeref(a), false)
		e := &osloEntry[osloPolicy]{doc: d}
		before := len(*d.errs)
		if af["spec"] == nil {
			d.missing(p+".spec", a, "spec with conditions (or give alertPolicyRef)")
		} else {
			e.v = d.policySpec(af["spec"], p+".spec", a, defs)
		}
		e.ok = len(*d.errs) == before
		s.policies = append(s.policies, osloUse[osloPolicy]{inline: e, path: p, node: a})
	}
	return s
}

// inlineSLI reads spec.indicator: metadata and spec of an SLI.
func (d *osloDoc) inlineSLI(n *yaml.Node, path string) *osloEntry[osloSLI] {
	e := &osloEntry[osloSLI]{doc: d}
	f := d.fields(n, path, "apiVersion", "kind", "metadata", "spec")
	if f == nil {
		return e
	}
	before := len(*d.errs)
	d.apiVersion(f["apiVersion"], path+".apiVersion", n, false)
	d.inlineKind(f["kind"], path+".kind", "SLI")
	d.metadata(f["metadata"], path+".metadata", osloDeref(n), false)
	e.v = d.sliSpec(f["spec"], path+".spec", n)
	e.ok = len(*d.errs) == before
	return e
}

// osloDuration reads the OpenSLO duration shorthand: a positive integer
// and one of m, h, d, w, M, Q, Y. unit is the letter; d is zero for M, Q, Y.
func osloDuration(text string) (n int64, unit byte, dur time.Duration, err error) {
	if len(text) < 2 {
		return 0, 0, 0, fmt.Errorf("%q is not a duration such as 5m, 1h, 30d or 4w", text)
	}
	unit = text[len(text)-1]
	digits := text[:len(text)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, 0, fmt.Errorf("%q is not a duration such as 5m, 1h, 30d or 4w", text)
		}
	}
	n, perr := strconv.ParseInt(digits, 10, 64)
	if perr != nil || n > 1<<20 {
		return 0, 0, 0, fmt.Errorf("%q is too long", text)
	}
	per := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	switch unit {
	case 'm', 'h', 'd', 'w':
		dur = time.Duration(n) * per[unit]
	case 'M', 'Q', 'Y':
	default:
		return 0, 0, 0, fmt.Errorf("%q has an unknown unit %q; expected m, h, d, w (or M for a calendar month)", text, string(unit))
	}
	return n, unit, dur, nil
}

// osloMaxWindow bounds rolling windows and lookbacks: a year and a day.
const osloMaxWindow = 366 * 24 * time.Hour

// span reads a duration in m, h, d or w: positive (or zero when zeroOK)
// and at most osloMaxWindow.
func (d *osloDoc) span(n *yaml.Node, path string, zeroOK bool) (time.Duration, bool) {
	text, ok := d.str(n, path, true)
	if !ok {
		return 0, false
	}
	count, unit, dur, err := osloDuration(text)
	switch {
	case err != nil:
		d.errorf(path, n, "%v", err)
		return 0, false
	case unit == 'M' || unit == 'Q' || unit == 'Y':
		d.errorf(path, n, "%q: months, quarters and years are calendar windows only; expected m, h, d or w (1M is written in a calendar window)", text)
		return 0, false
	case count == 0 && !zeroOK:
		d.errorf(path, n, "%q must be more than zero", text)
		return 0, false
	case dur > osloMaxWindow:
		d.errorf(path, n, "%q is longer than 366d", text)
		return 0, false
	}
	return dur, true
}

// timeWindow reads spec.timeWindow: a list of exactly one window.
func (d *osloDoc) timeWindow(n *yaml.Node, path string) Window {
	x := osloDeref(n)
	items := d.list(n, path)
	if len(items) != 1 {
		if x.Kind == yaml.SequenceNode || x.ShortTag() == "!!null" {
			d.errorf(path, n, "expected a list with exactly one window, got %d", len(items))
		}
		return Window{}
	}
	p := path + "[0]"
	f := d.fields(items[0], p, "duration", "isRolling", "calendar")
	if f == nil {
		return Window{}
	}
	rolling, rollingSet := false, f["isRolling"] != nil
	if rollingSet {
		var ok bool
		if rolling, ok = d.boolean(f["isRolling"], p+".isRolling"); !ok {
			return Window{}
		}
	}
	cal := f["calendar"]
	if f["duration"] == nil {
		d.missing(p+".duration", items[0], "a duration such as 30d (rolling) or 1M (calendar month)")
		return Window{}
	}
	durPath := p + ".duration"
	switch {
	case cal != nil && rolling:
		d.errorf(p+".isRolling", f["isRolling"], "a window with a calendar is not rolling: remove isRolling or calendar")
		return Window{}
	case cal == nil && !rolling:
		d.errorf(p, items[0], "unknown window: expected isRolling: true (a rolling window such as 30d) or a calendar (a calendar month 1M or week 1w)")
		return Window{}
	case rolling:
		dur, ok := d.span(f["duration"], durPath, false)
		if !ok {
			return Window{}
		}
		return Window{Rolling: dur}
	}
	text, ok := d.str(f["duration"], durPath, true)
	if !ok {
		return Window{}
	}
	var w Window
	switch text {
	case "1M":
		w.Calendar = "month"
	case "1w":
		w.Calendar = "week"
	default:
		d.errorf(durPath, f["duration"], "unknown calendar window %q; expected 1M (the calendar month) or 1w (the calendar week)", text)
		return Window{}
	}
	cf := d.fields(cal, p+".calendar", "startTime", "timeZone")
	if cf == nil {
		return Window{}
	}
	w.Location = time.UTC
	if tz := cf["timeZone"]; tz != nil {
		name, ok := d.str(tz, p+".calendar.timeZone", true)
		if !ok {
			return Window{}
		}
		loc, err := time.LoadLocation(name)
		if err != nil || name == "Local" {
			d.errorf(p+".calendar.timeZone", tz, "%q is not a time zone of the IANA database, such as Europe/Paris or UTC", name)
			return Window{}
		}
		w.Location = loc
	}
	if st := cf["startTime"]; st != nil {
		text, ok := d.str(st, p+".calendar.startTime", true)
		if !ok {
			return Window{}
		}
		var t time.Time
		var err error
		for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err = time.Parse(layout, text); err == nil {
				break
			}
		}
		if err != nil {
			d.errorf(p+".calendar.startTime", st, "%q is not a date and time such as 2026-01-01 00:00:00 (no time zone: timeZone gives it)", text)
			return Window{}
		}
		midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
		if w.Calendar == "month" && (!midnight || t.Day() != 1) {
			d.errorf(p+".calendar.startTime", st, "%q is not the start of a month (the 1st at 00:00:00): month windows follow the calendar", text)
			return Window{}
		}
		if w.Calendar == "week" && (!midnight || t.Weekday() != time.Monday) {
			d.errorf(p+".calendar.startTime", st, "%q is not the start of a week (a Monday at 00:00:00): week windows follow the ISO calendar", text)
			return Window{}
		}
	}
	return w
}

// osloShortest is the shortest a window can be: a calendar month is at
// least 28 days.
func osloShortest(w Window) time.Duration {
	switch w.Calendar {
	case "month":
		return 28 * 24 * time.Hour
	case "week":
		return 7 * 24 * time.Hour
	}
	return w.Rolling
}

// osloTarget keeps the digits a user wrote in a percentage: 99.9/100 is
// not 0.999 in binary floating point.
func osloTarget(percent float64) float64 {
	return math.Round(percent*1e10) / 1e12
}

func (d *osloDoc) objective(n *yaml.Node, path string, b Budgeting, w Window) osloObjective {
	o := osloObjective{path: path, node: osloDeref(n)}
	f := d.fields(n, path, "displayName", "op", "value", "target", "targetPercent", "timeSliceTarget", "timeSliceWindow", "indicator", "indicatorRef", "compositeWeight")
	if f == nil {
		return o
	}
	if dn := f["displayName"]; dn != nil {
		if name, ok := d.str(dn, path+".displayName", true); ok {
			if strings.Contains(name, "/") {
				d.errorf(path+".displayName", dn, "%q contains '/', which separates the SLO name from the objective", name)
			}
			o.name = name
		}
	}
	for _, k := range []string{"indicator", "indicatorRef", "compositeWeight"} {
		if f[k] != nil {
			d.errorf(path+"."+k, f[k], "composite SLOs are not supported: give the SLO's indicator in spec.indicator or spec.indicatorRef, and one SLO per indicator")
		}
	}
	// op and value compare a threshold metric; OpenSLO's own examples give
	// op with ratio metrics, so they are checked and otherwise ignored.
	if op := f["op"]; op != nil {
		if v, ok := d.str(op, path+".op", true); ok && v != "lt" && v != "lte" && v != "gt" && v != "gte" {
			d.errorf(path+".op", op, "%q is not an operator; expected lt, lte, gt or gte", v)
		}
	}
	if v := f["value"]; v != nil {
		d.number(v, path+".value")
	}
	switch t, tp := f["target"], f["targetPercent"]; {
	case t != nil && tp != nil:
		d.errorf(path+".targetPercent", tp, "give target or targetPercent, not both")
	case t != nil:
		if v, ok := d.number(t, path+".target"); ok {
			if v <= 0 || v >= 1 {
				d.errorf(path+".target", t, "%s is outside (0, 1)", osloDeref(t).Value)
			} else {
				o.target = v
			}
		}
	case tp != nil:
		if v, ok := d.number(tp, path+".targetPercent"); ok {
			if v <= 0 || v >= 100 {
				d.errorf(path+".targetPercent", tp, "%s is outside (0, 100)", osloDeref(tp).Value)
			} else {
				o.target = osloTarget(v)
			}
		}
	default:
		d.missing(path+".target", o.node, "target, in (0, 1), or targetPercent, in (0, 100)")
	}
	tst, tsw := f["timeSliceTarget"], f["timeSliceWindow"]
	if b != Timeslices {
		if b == Occurrences {
			for k, v := range map[string]*yaml.Node{"timeSliceTarget": tst, "timeSliceWindow": tsw} {
				if v != nil {
					d.errorf(path+"."+k, v, "only for budgetingMethod Timeslices; this SLO counts Occurrences")
				}
			}
		}
		return o
	}
	if tst == nil {
		d.missing(path+".timeSliceTarget", o.node, "timeSliceTarget, in (0, 1], with budgetingMethod Timeslices")
	} else if v, ok := d.number(tst, path+".timeSliceTarget"); ok {
		if v <= 0 || v > 1 {
			d.errorf(path+".timeSliceTarget", tst, "%s is outside (0, 1]", osloDeref(tst).Value)
		} else {
			o.timeSliceTarget = v
		}
	}
	if tsw == nil {
		d.missing(path+".timeSliceWindow", o.node, "timeSliceWindow, such as 1m or 5m, with budgetingMethod Timeslices")
		return o
	}
	// A bare number is minutes (OpenSLO).
	var dur time.Duration
	ok := false
	if x := osloDeref(tsw); x.Kind == yaml.ScalarNode && x.ShortTag() == "!!int" {
		if m, err := strconv.ParseInt(x.Value, 10, 64); err == nil && m > 0 && m <= int64(osloMaxWindow/time.Minute) {
			dur, ok = time.Duration(m)*time.Minute, true
		} else {
			d.errorf(path+".timeSliceWindow", tsw, "%s is not a positive number of minutes", x.Value)
		}
	} else {
		dur, ok = d.span(tsw, path+".timeSliceWindow", false)
	}
	if ok {
		if short := osloShortest(w); short > 0 && dur > short {
			d.errorf(path+".timeSliceWindow", tsw, "%s is longer than the SLO window", FormatWindow(dur))
		} else {
			o.timeSliceWindow = dur
		}
	}
	return o
}

// --- SLI ---

// sliSpec reads an SLI spec: a ratioMetric of cogniforge selectors.
func (d *osloDoc) sliSpec(n *yaml.Node, path string, parent *yaml.Node) osloSLI {
	var s osloSLI
	if n == nil {
		d.missing(path, parent, "spec with ratioMetric")
		return s
	}
	f := d.fields(n, path, "description", "thresholdMetric", "ratioMetric")
	if f == nil {
		return s
	}
	d.description(f["description"], path+".description")
	if tm := f["thresholdMetric"]; tm != nil {
		d.errorf(path+".thresholdMetric", tm, "threshold metrics are not supported: SLIs count events, so write a ratioMetric whose good selector has a durationMs condition, such as durationMs: \"<=300\"")
		return s
	}
	rm := f["ratioMetric"]
	if rm == nil {
		d.missing(path+".ratioMetric", osloDeref(n), "ratioMetric with good or bad, and total")
		return s
	}
	p := path + ".ratioMetric"
	rf := d.fields(rm, p, "counter", "good", "bad", "total", "rawType", "raw")
	if rf == nil {
		return s
	}
	if c := rf["counter"]; c != nil {
		d.boolean(c, p+".counter") // events are counts either way
	}
	for _, k := range []string{"raw", "rawType"} {
		if rf[k] != nil {
			d.errorf(p+"."+k, rf[k], "precomputed ratios are not supported: give good or bad, and total")
		}
	}
	switch {
	case rf["good"] != nil && rf["bad"] != nil:
		d.errorf(p+".bad", rf["bad"], "give good or bad, not both")
	case rf["good"] != nil:
		s.good, s.hasGood = d.metric(rf["good"], p+".good"), true
	case rf["bad"] != nil:
		s.bad, s.hasBad = d.metric(rf["bad"], p+".bad"), true
	default:
		d.missing(p+".good", osloDeref(rm), "good or bad (the numerator)")
	}
	if rf["total"] == nil {
		d.missing(p+".total", osloDeref(rm), "total (the denominator), usually just the service")
	} else {
		s.total = d.metric(rf["total"], p+".total")
	}
	return s
}

// osloSelectorFields are the fields of dev.cogniforge.request.completed.v1
// a selector may name.
var osloSelectorFields = []string{"service", "operation", "region", "status", "httpStatus", "durationMs"}

// metric reads {metricSource: {type: cogniforge, spec: SELECTOR}}.
func (d *osloDoc) metric(n *yaml.Node, path string) Selector {
	var sel Selector
	f := d.fields(n, path, "metricSource")
	if f == nil {
		return sel
	}
	ms := f["metricSource"]
	p := path + ".metricSource"
	if ms == nil {
		d.missing(p, osloDeref(n), "metricSource: {type: cogniforge, spec: {...}}")
		return sel
	}
	mf := d.fields(ms, p, "type", "metricSourceRef", "spec")
	if mf == nil {
		return sel
	}
	if r := mf["metricSourceRef"]; r != nil {
		d.errorf(p+".metricSourceRef", r, "data sources are not supported: give type: cogniforge")
	}
	if t := mf["type"]; t == nil {
		d.missing(p+".type", osloDeref(ms), "type: cogniforge")
	} else if v, ok := d.str(t, p+".type", true); ok && v != MetricSourceType {
		d.errorf(p+".type", t, "%q is not supported; expected cogniforge (SLIs are counted from %s events)", v, EventType)
	}
	spec := mf["spec"]
	if spec == nil {
		d.missing(p+".spec", osloDeref(ms), "spec with the selector, such as {service: checkout}")
		return sel
	}
	sp := p + ".spec"
	x := osloDeref(spec)
	if x.Kind == yaml.ScalarNode && x.ShortTag() == "!!null" {
		return sel // {} selects every event
	}
	if x.Kind != yaml.MappingNode {
		d.errorf(sp, x, "expected a mapping of %s, got %s", strings.Join(osloSelectorFields, ", "), osloDescribe(x))
		return sel
	}
	for i := 0; i+1 < len(x.Content); i += 2 {
		k, v := osloDeref(x.Content[i]), x.Content[i+1]
		kp := osloJoin(sp, k.Value)
		known := false
		for _, a := range osloSelectorFields {
			known = known || a == k.Value
		}
		if !known {
			d.errorf(kp, k, "%s events have no field %q to select on; expected one of %s", EventType, k.Value, strings.Join(osloSelectorFields, ", "))
			continue
		}
		text, ok := d.str(v, kp, true)
		if !ok {
			continue
		}
		var dup bool
		switch k.Value {
		case "service":
			dup, sel.Service = sel.Service != "", text
		case "operation":
			dup, sel.Operation = sel.Operation != "", text
		case "region":
			dup, sel.Region = sel.Region != "", text
		case "status":
			dup = sel.Status != ""
			if text != "ok" && text != "error" {
				d.errorf(kp, v, "%q is not a status; expected ok or error", text)
				continue
			}
			sel.Status = text
		case "httpStatus":
			dup = sel.HTTPStatus.Op != ""
			c, err := ParseCond(text, true)
			if err != nil {
				d.errorf(kp, v, "%v", err)
				continue
			}
			sel.HTTPStatus = c
		case "durationMs":
			dup = sel.DurationMs.Op != ""
			c, err := ParseCond(text, false)
			if err != nil {
				d.errorf(kp, v, "%v", err)
				continue
			}
			sel.DurationMs = c
		}
		if dup {
			d.errorf(kp, k, "given twice")
		}
	}
	return sel
}

// --- alerting ---

// policySpec reads an AlertPolicy spec. Inline notification targets are
// checked; references are resolved at compile time.
func (d *osloDoc) policySpec(n *yaml.Node, path string, parent *yaml.Node, defs *osloDefs) osloPolicy {
	var pol osloPolicy
	if n == nil {
		d.missing(path, parent, "spec with conditions")
		return pol
	}
	f := d.fields(n, path, "description", "alertWhenNoData", "alertWhenResolved", "alertWhenBreaching", "conditions", "notificationTargets")
	if f == nil {
		return pol
	}
	d.description(f["description"], path+".description")
	if v := f["alertWhenNoData"]; v != nil {
		if b, ok := d.boolean(v, path+".alertWhenNoData"); ok && b {
			d.errorf(path+".alertWhenNoData", v, "true is not supported: a window without events never alerts (the low-traffic gate)")
		}
	}
	if v := f["alertWhenBreaching"]; v != nil {
		if b, ok := d.boolean(v, path+".alertWhenBreaching"); ok && !b {
			d.errorf(path+".alertWhenBreaching", v, "false is not supported: a policy alerts when its condition breaches (remove the policy instead)")
		}
	}
	if v := f["alertWhenResolved"]; v != nil {
		d.boolean(v, path+".alertWhenResolved") // resolutions are always published, as events
	}
	cp := path + ".conditions"
	conds := d.list(f["conditions"], cp)
	if len(conds) == 0 && (f["conditions"] == nil || osloDeref(f["conditions"]).Kind == yaml.SequenceNode || osloDeref(f["conditions"]).ShortTag() == "!!null") {
		d.missing(cp, osloDeref(n), "at least one condition (inline, or conditionRef)")
	}
	for i, c := range conds {
		p := fmt.Sprintf("%s[%d]", cp, i)
		cf := d.fields(c, p, "conditionRef", "apiVersion", "kind", "metadata", "spec")
		if cf == nil {
			continue
		}
		if r := cf["conditionRef"]; r != nil {
			if len(cf) > 1 {
				d.errorf(p, c, "give conditionRef alone or an inline AlertCondition (kind, metadata, spec), not both")
				continue
			}
			ref, _ := d.str(r, p+".conditionRef", true)
			pol.conds = append(pol.conds, osloUse[AlertRule]{ref: ref, path: p + ".conditionRef", node: r})
			continue
		}
		before := len(*d.errs)
		d.apiVersion(cf["apiVersion"], p+".apiVersion", c, false)
		d.inlineKind(cf["kind"], p+".kind", "AlertCondition")
		meta := d.metadata(cf["metadata"], p+".metadata", osloDeref(c), true)
		e := &osloEntry[AlertRule]{doc: d}
		e.v = d.conditionSpec(cf["spec"], p+".spec", c)
		e.v.Name = meta.name
		e.ok = len(*d.errs) == before
		pol.conds = append(pol.conds, osloUse[AlertRule]{inline: e, path: p, node: c})
	}
	tp := path + ".notificationTargets"
	for i, t := range d.list(f["notificationTargets"], tp) {
		p := fmt.Sprintf("%s[%d]", tp, i)
		tf := d.fields(t, p, "targetRef", "apiVersion", "kind", "metadata", "spec")
		if tf == nil {
			continue
		}
		if r := tf["targetRef"]; r != nil {
			if len(tf) > 1 {
				d.errorf(p, t, "give targetRef alone or an inline AlertNotificationTarget (kind, metadata, spec), not both")
				continue
			}
			if ref, ok := d.str(r, p+".targetRef", true); ok {
				defs.targetRefs = append(defs.targetRefs, osloTargetRef{doc: d, ref: ref, path: p + ".targetRef", node: r})
			}
			continue
		}
		d.apiVersion(tf["apiVersion"], p+".apiVersion", t, false)
		d.inlineKind(tf["kind"], p+".kind", "AlertNotificationTarget")
		d.metadata(tf["metadata"], p+".metadata", osloDeref(t), false)
		d.targetSpec(tf["spec"], p+".spec", t)
	}
	return pol
}

// targetSpec checks an AlertNotificationTarget spec; nothing of it is kept.
func (d *osloDoc) targetSpec(n *yaml.Node, path string, parent *yaml.Node) {
	if n == nil {
		d.missing(path, parent, "spec with target")
		return
	}
	f := d.fields(n, path, "target", "description")
	if f == nil {
		return
	}
	d.description(f["description"], path+".description")
	if f["target"] == nil {
		d.missing(path+".target", osloDeref(n), "target, such as slack or email")
	} else {
		d.str(f["target"], path+".target", true)
	}
}

// osloSeverity maps OpenSLO severities to the two the evaluator knows.
var osloSeverity = map[string]string{
	"page": "page", "critical": "page", "high": "page",
	"ticket": "ticket", "warning": "ticket", "medium": "ticket", "low": "ticket",
}

// conditionSpec reads an AlertCondition spec into a rule (without its
// name).
func (d *osloDoc) conditionSpec(n *yaml.Node, path string, parent *yaml.Node) AlertRule {
	var r AlertRule
	if n == nil {
		d.missing(path, parent, "spec with severity and condition")
		return r
	}
	f := d.fields(n, path, "description", "severity", "condition")
	if f == nil {
		return r
	}
	d.description(f["description"], path+".description")
	if f["severity"] == nil {
		d.missing(path+".severity", osloDeref(n), "severity: page or ticket")
	} else if s, ok := d.str(f["severity"], path+".severity", true); ok {
		if r.Severity = osloSeverity[strings.ToLower(s)]; r.Severity == "" {
			d.errorf(path+".severity", f["severity"], "%q is not a severity; expected page (or critical, high) or ticket (or warning, medium, low)", s)
		}
	}
	cn := f["condition"]
	cp := path + ".condition"
	if cn == nil {
		d.missing(cp, osloDeref(n), "condition: {kind: burnrate, op: gt, threshold, lookbackWindow}")
		return r
	}
	cf := d.fields(cn, cp, "kind", "op", "threshold", "lookbackWindow", "alertAfter")
	if cf == nil {
		return r
	}
	if k := cf["kind"]; k != nil {
		if v, ok := d.str(k, cp+".kind", true); ok && v != "burnrate" {
			d.errorf(cp+".kind", k, "%q is not supported; expected burnrate", v)
		}
	}
	if op := cf["op"]; op == nil {
		d.missing(cp+".op", osloDeref(cn), "op: gt or gte")
	} else if v, ok := d.str(op, cp+".op", true); ok {
		switch v {
		case "gt":
		case "gte":
			r.OrEqual = true
		case "lt", "lte":
			d.errorf(cp+".op", op, "%q would alert while the budget burns slowly; expected gt or gte", v)
		default:
			d.errorf(cp+".op", op, "%q is not an operator; expected gt or gte", v)
		}
	}
	if t := cf["threshold"]; t == nil {
		d.missing(cp+".threshold", osloDeref(cn), "threshold, a burn rate such as 14.4")
	} else if v, ok := d.number(t, cp+".threshold"); ok {
		if v <= 0 {
			d.errorf(cp+".threshold", t, "%s is not a burn rate above zero", osloDeref(t).Value)
		}
		r.Threshold = v
	}
	if lw := cf["lookbackWindow"]; lw == nil {
		d.missing(cp+".lookbackWindow", osloDeref(cn), "lookbackWindow, the long window such as 1h")
		return r
	} else if long, ok := d.span(lw, cp+".lookbackWindow", false); ok {
		r.Long = long
	} else {
		return r
	}
	// The Workbook pairs each long window with one a twelfth as long.
	r.Short = (r.Long / 12).Truncate(time.Minute)
	if r.Short < time.Minute {
		r.Short = time.Minute
	}
	if aa := cf["alertAfter"]; aa != nil {
		short, ok := d.span(aa, cp+".alertAfter", true)
		switch {
		case !ok:
		case short >= r.Long:
			d.errorf(cp+".alertAfter", aa, "%s is not shorter than lookbackWindow %s: alertAfter is the short window", FormatWindow(short), FormatWindow(r.Long))
		case short > 0:
			r.Short = short
		}
	}
	if r.Short >= r.Long {
		d.errorf(cp+".lookbackWindow", cf["lookbackWindow"], "%s leaves no shorter window: give at least 2m", FormatWindow(r.Long))
	}
	return r
}
