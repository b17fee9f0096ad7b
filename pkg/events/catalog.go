package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	eventfiles "github.com/cogniforge/cogniforge/events"
)

// typeName is the shape of every catalog type: dev.cogniforge.<domain>.<name>.v<N>.
var typeName = regexp.MustCompile(`^dev\.cogniforge\.[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)+\.v[1-9][0-9]*$`)

// SchemaBaseURL prefixes the $id of every schema: $id is SchemaBaseURL + type + ".json".
const SchemaBaseURL = "https://schemas.cogniforge.dev/events/"

// Catalog validates CloudEvents against the schemas of their type. Its set
// of types and schemas is fixed by NewCatalog; it is safe for concurrent use.
type Catalog struct {
	entries map[string]*entry
	types   []string
}

type entry struct {
	typ  string
	raw  []byte
	doc  any // raw, parsed by parseSchema; dropped once compiled
	once sync.Once
	// Set by once; read only after it.
	fast *fnode
	err  error
}

// CatalogOption tunes NewCatalog and NewCatalogFS.
type CatalogOption func(*catalogOptions)

type catalogOptions struct {
	lazy bool
}

// CompileOnFirstUse defers compiling each schema until the first event of
// its type is validated, for a function's cold start: a function sees a few
// of the catalog's types. Since the catalog has its own validator, compiling
// costs little (about 0.2 ms for the whole catalog, after reading the files),
// so the option matters less than it did; it is kept for its callers. File names, JSON and $id are still checked by
// NewCatalog; a schema that does not compile then fails every validation of
// its type (a *ValidationError whose "data" field says it cannot be checked)
// instead of NewCatalog. The embedded catalog's tests and every command of
// the CLI compile eagerly, so such a schema never ships.
func CompileOnFirstUse() CatalogOption { return func(o *catalogOptions) { o.lazy = true } }

// NewCatalog compiles the schemas embedded in package
// github.com/cogniforge/cogniforge/events (see NewCatalogFS).
func NewCatalog(opts ...CatalogOption) (*Catalog, error) {
	sub, err := fs.Sub(eventfiles.Files, eventfiles.SchemasDir)
	if err != nil {
		return nil, fmt.Errorf("events: catalog: %w", err)
	}
	return NewCatalogFS(sub, opts...)
}

// NewCatalogFS compiles every <type>.json at the root of fsys. Each file must
// be a draft 2020-12 schema whose $id is SchemaBaseURL + <type>.json, using
// only the keywords of SupportedKeywords: a schema using another keyword is
// refused with an error naming the file, the keyword and where it is, so that
// no part of a schema is silently left unchecked. Every problem found is
// reported, joined. With CompileOnFirstUse, compilation (and so the keyword
// check) waits for the first use of each type (CompileAll forces it).
func NewCatalogFS(fsys fs.FS, opts ...CatalogOption) (*Catalog, error) {
	var o catalogOptions
	for _, opt := range opts {
		opt(&o)
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("events: catalog: %w", err)
	}
	c := &Catalog{entries: make(map[string]*entry, len(names))}
	var errs []error
	for _, name := range names {
		typ := strings.TrimSuffix(path.Base(name), ".json")
		if !typeName.MatchString(typ) {
			errs = append(errs, fmt.Errorf("events: schema %s: type name must look like dev.cogniforge.<domain>.<name>.v<N>", name))
			continue
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("events: schema %s: %w", name, err))
			continue
		}
		doc, err := parseSchema(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("events: schema %s: %w", name, err))
			continue
		}
		url := SchemaBaseURL + typ + ".json"
		if m, ok := doc.(map[string]any); !ok || m["$id"] != url {
			errs = append(errs, fmt.Errorf("events: schema %s: $id must be %q", name, url))
			continue
		}
		c.entries[typ] = &entry{typ: typ, raw: raw, doc: doc}
		c.types = append(c.types, typ)
	}
	sort.Strings(c.types)
	if !o.lazy {
		if err := c.CompileAll(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// CompileAll compiles every schema not compiled yet and returns the
// problems of those that do not compile, joined (nil when all do). A catalog
// made without CompileOnFirstUse has done it already.
func (c *Catalog) CompileAll() error {
	var errs []error
	for _, typ := range c.types {
		if err := c.entries[typ].compile(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// compile builds e's checker, once; every call returns the outcome of the
// first. The error names the file, and the keyword for one the catalog does
// not support.
func (e *entry) compile() error {
	e.once.Do(func() {
		n, err := compileSchema(e.doc)
		e.doc = nil
		if err != nil {
			e.err = fmt.Errorf("events: compile %s: schema %s.json %w", e.typ, e.typ, err)
			return
		}
		e.fast = n
	})
	return e.err
}

// Types returns the catalog's event types, sorted. The caller may modify the
// returned slice.
func (c *Catalog) Types() []string { return append([]string(nil), c.types...) }

// Has reports whether typ is in the catalog.
func (c *Catalog) Has(typ string) bool { _, ok := c.entries[typ]; return ok }

// Schema returns a copy of the JSON Schema of typ, or nil for an unknown type.
func (c *Catalog) Schema(typ string) []byte {
	e, ok := c.entries[typ]
	if !ok {
		return nil
	}
	return append([]byte(nil), e.raw...)
}

// FieldError is one problem of an event. Field names the attribute
// ("source", "correlationid") or the data field as a dotted path
// ("data.durationMs", "data.steps[2]"); it is empty when the input was not
// an event at all.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (f FieldError) String() string {
	if f.Field == "" {
		return f.Message
	}
	return f.Field + ": " + f.Message
}

// ValidationError lists every problem of one event. Its name is
// ErrInvalidEvent, so it reaches callers as CogniForge.InvalidEvent.
type ValidationError struct {
	ID     string       `json:"id,omitempty"`
	Type   string       `json:"type,omitempty"`
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid event")
	if e.ID != "" {
		b.WriteString(" ")
		b.WriteString(e.ID)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// FieldName returns the first offending field, so HTTP problems name it.
func (e *ValidationError) FieldName() string {
	if len(e.Fields) == 0 {
		return ""
	}
	return e.Fields[0].Field
}

// ErrInvalidEvent is the name of a *ValidationError. It equals
// faas.ErrInvalidEvent (pkg/gateway's tests check that); it is repeated here
// so that the catalog, which every function and the CLI load, does not
// depend on the adapters.
const ErrInvalidEvent = "CogniForge.InvalidEvent"

// ErrorName returns ErrInvalidEvent, the name adapters report and ASL Catch
// matches.
func (e *ValidationError) ErrorName() string { return ErrInvalidEvent }

// Validate checks the envelope of e (specversion 1.0, id, source, type in the
// catalog, datacontenttype application/json; optional time, correlationid,
// causationid and W3C traceparent, which must be well formed when present)
// and its data against the schema of its type. Events made by New always
// carry time and correlationid; the gateway fills them in for producers
// that leave them out. It returns nil or a *ValidationError naming every bad field.
func (c *Catalog) Validate(e cloudevents.Event) error {
	var fields []FieldError
	add := func(field, msg string) { fields = append(fields, FieldError{Field: field, Message: msg}) }

	if e.Context == nil {
		return &ValidationError{Fields: []FieldError{{Field: "specversion", Message: "is required"}}}
	}
	if v := e.SpecVersion(); v != cloudevents.VersionV1 {
		add("specversion", fmt.Sprintf("must be %q, got %q", cloudevents.VersionV1, v))
	}
	if e.ID() == "" {
		add("id", "is required")
	}
	source := e.Source() // printed from a URL: once
	if source == "" {
		add("source", "is required")
	}
	typ := e.Type()
	ent, known := c.entries[typ]
	switch {
	case typ == "":
		add("type", "is required")
	case !known:
		add("type", fmt.Sprintf("unknown event type %q", typ))
	}
	// CloudEvents makes datacontenttype optional; a structured event
	// without it carries its data as JSON, which the schema check below
	// then holds to.
	if ct := e.DataContentType(); ct != "" && !isJSONContentType(ct) {
		add("datacontenttype", fmt.Sprintf("must be %q, got %q", ContentTypeJSON, ct))
	}
	ext := extensions(e) // read only
	checkString := func(name string, required bool) string {
		v, present := ext[name]
		if !present {
			if required {
				add(name, "is required")
			}
			return ""
		}
		s, ok := v.(string)
		if !ok || s == "" {
			add(name, "must be a non-empty string")
		}
		return s
	}
	// Invalid UTF-8 would be replaced by U+FFFD when the event is encoded,
	// so two different bad ids would become one: refuse it, naming where.
	for _, a := range [...]struct{ name, value string }{
		{"id", e.ID()}, {"source", source}, {"type", typ}, {"subject", e.Subject()},
		{"dataschema", e.DataSchema()}, {"datacontenttype", e.DataContentType()},
	} {
		if !utf8.ValidString(a.value) {
			add(a.name, "is not valid UTF-8")
		}
	}
	// The names are sorted, for errors in a stable order, only when one
	// value is bad: valid events do not pay for the sort.
	for _, v := range ext {
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			extNames := make([]string, 0, len(ext))
			for name := range ext {
				extNames = append(extNames, name)
			}
			sort.Strings(extNames)
			for _, name := range extNames {
				if s, ok := ext[name].(string); ok && !utf8.ValidString(s) {
					add(name, "is not valid UTF-8")
				}
			}
			break
		}
	}
	checkString(ExtCorrelationID, false)
	checkString(ExtCausationID, false)
	if tp := checkString(ExtTraceParent, false); tp != "" && !validTraceParent(tp) {
		add(ExtTraceParent, "must be a W3C traceparent (00-<32 hex trace id>-<16 hex span id>-<2 hex flags>)")
	}

	data := e.Data()
	switch {
	case len(data) == 0:
		add("data", "is required")
	case !utf8.Valid(data):
		add("data", "is not valid UTF-8 (JSON text must be)")
	case known:
		fields = append(fields, ent.validate(data)...)
	}
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{ID: e.ID(), Type: typ, Fields: fields}
}

// ValidateData checks data (JSON) against the schema of typ.
func (c *Catalog) ValidateData(typ string, data []byte) error {
	ent, ok := c.entries[typ]
	if !ok {
		return &ValidationError{Type: typ, Fields: []FieldError{{Field: "type", Message: fmt.Sprintf("unknown event type %q", typ)}}}
	}
	if fields := ent.validate(data); len(fields) > 0 {
		return &ValidationError{Type: typ, Fields: fields}
	}
	return nil
}

// validate decides with the fast checker and describes the errors of invalid
// data only. A schema that does not compile (possible only with
// CompileOnFirstUse) makes every event of its type invalid, with the
// compiler's error as the message.
func (e *entry) validate(data []byte) []FieldError {
	if err := e.compile(); err != nil {
		return []FieldError{{Field: "data", Message: "cannot be checked: " + err.Error()}}
	}
	verdict := e.fast.check(data)
	if verdict == fastValid {
		return nil
	}
	fields := describe(e.fast, data)
	if len(fields) == 0 && verdict == fastDuplicate {
		return []FieldError{{Field: "data", Message: "gives a property twice"}}
	}
	return fields
}

func isJSONContentType(ct string) bool {
	if ct == ContentTypeJSON {
		return true
	}
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), ContentTypeJSON)
}

// validTraceParent checks the version 00 W3C traceparent shape: lowercase hex,
// trace id and span id not all zero.
func validTraceParent(s string) bool {
	if len(s) != 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	if s[:2] != "00" {
		return false
	}
	hex := func(p string) bool {
		zero := true
		for i := 0; i < len(p); i++ {
			ch := p[i]
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
				return false
			}
			if ch != '0' {
				zero = false
			}
		}
		return !zero
	}
	flagsOK := func(p string) bool { return hex(p) || p == "00" }
	return hex(s[3:35]) && hex(s[36:52]) && flagsOK(s[53:55])
}

// Decode reads one structured-mode CloudEvent (JSON). A malformed input is a
// *ValidationError with an empty Field.
func Decode(b []byte) (cloudevents.Event, error) {
	var e cloudevents.Event
	if err := json.Unmarshal(b, &e); err != nil {
		return cloudevents.Event{}, &ValidationError{Fields: []FieldError{{Message: "not a structured CloudEvent: " + err.Error()}}}
	}
	return e, nil
}

// DecodeBatch reads a JSON array of structured-mode CloudEvents (the
// application/cloudevents-batch+json format). The error names the index of
// the first malformed event.
func DecodeBatch(b []byte) ([]cloudevents.Event, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, &ValidationError{Fields: []FieldError{{Message: "not a CloudEvents batch (a JSON array): " + err.Error()}}}
	}
	out := make([]cloudevents.Event, len(raws))
	for i, r := range raws {
		e, err := Decode(r)
		if err != nil {
			var verr *ValidationError
			errors.As(err, &verr)
			verr.Fields[0].Field = "[" + strconv.Itoa(i) + "]"
			return nil, verr
		}
		out[i] = e
	}
	return out, nil
}
