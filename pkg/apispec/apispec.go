// Package apispec holds HTTP traffic to the OpenAPI documents of api/: it
// loads the spec of a catalog entry (api/catalog.yaml) and validates
// requests and their responses against it with kin-openapi's
// openapi3filter, as a handler wrapper (Validator.Handler) or an
// http.RoundTripper (Validator.RoundTripper). Every disagreement is
// recorded as a Violation naming the operation and what is wrong (no such
// operation, a body or parameter the spec refuses, an undocumented status,
// a missing header), so a test fails with Validator.Report.
//
// It is test and tooling code: functions never link it (a test/deps rule),
// so the OpenAPI libraries stay out of every deployed binary. Security
// requirements are not checked (the validator accepts any credentials):
// the functions' own authorizers and IAM decide who may call. A request the
// spec refuses that the implementation refuses too (a 4xx) is agreement,
// not a violation: negative tests send such requests on purpose.
//
// A Validator is safe for concurrent use.
package apispec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
)

// Spec is the OpenAPI document of one API version.
type Spec struct {
	Entry  apicatalog.Entry
	Doc    *openapi3.T
	router routers.Router
}

// Load reads and validates the spec of e from fsys (api.Files, whose
// catalog names it).
func Load(fsys fs.FS, e apicatalog.Entry) (*Spec, error) {
	data, err := fs.ReadFile(fsys, e.Spec)
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", e.ID(), err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %s: %w", e.ID(), e.Spec, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("apispec: %s: %s: %w", e.ID(), e.Spec, err)
	}
	// Route by path alone: the servers are the deployed function URLs,
	// tests call the same paths on a local host.
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %s: %w", e.ID(), e.Spec, err)
	}
	return &Spec{Entry: e, Doc: doc, router: r}, nil
}

// Violation is one disagreement between traffic and a spec.
type Violation struct {
	// API is the catalog entry ("incidents/v1"); empty when none matched.
	API string
	// Operation is "METHOD /path" as the spec writes it, or the request's
	// method and path when no operation matched.
	Operation string
	Status    int
	Problem   string
}

func (v Violation) String() string {
	api := v.API
	if api == "" {
		api = "no API"
	}
	return fmt.Sprintf("%s %s -> %d: %s", api, v.Operation, v.Status, v.Problem)
}

// Config configures a Validator.
type Config struct {
	// Function is the function whose APIs the traffic is for (its catalog
	// entries are loaded). Required.
	Function string
	// BasePath is stripped from request paths before they are matched:
	// "/functions/incident-manager" for the local runtime. Empty means
	// the function is served at the root, as on its function URL.
	BasePath string
	// Files holds the catalog and the specs; nil means api.Files.
	Files fs.FS
}

// Validator checks traffic to one function against its specs and records
// what disagrees.
type Validator struct {
	cfg     Config
	catalog *apicatalog.Catalog
	specs   map[string]*Spec // by entry ID

	mu         sync.Mutex
	violations []Violation
	calls      map[string]int // "api METHOD /path" -> validated exchanges
}

// New loads the catalog and every spec of cfg.Function.
func New(cfg Config) (*Validator, error) {
	if cfg.Function == "" {
		return nil, errors.New("apispec: Config.Function is required")
	}
	if cfg.Files == nil {
		cfg.Files = api.Files
	}
	cfg.BasePath = strings.TrimSuffix(cfg.BasePath, "/")
	c, err := apicatalog.Load(cfg.Files, api.CatalogFile)
	if err != nil {
		return nil, err
	}
	entries := c.ForFunction(cfg.Function)
	if len(entries) == 0 {
		return nil, fmt.Errorf("apispec: the catalog lists no API of function %q", cfg.Function)
	}
	v := &Validator{cfg: cfg, catalog: c, specs: map[string]*Spec{}, calls: map[string]int{}}
	for _, e := range entries {
		s, err := Load(cfg.Files, e)
		if err != nil {
			return nil, err
		}
		v.specs[e.ID()] = s
	}
	return v, nil
}

func init() {
	// The CloudEvents media types are JSON (the +json fallback covers
	// them too; registered so a change there cannot turn them into
	// undecodable bodies).
	for _, ct := range []string{"application/cloudevents+json", "application/cloudevents-batch+json"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.JSONBodyDecoder)
	}
}

func acceptAny(context.Context, *openapi3filter.AuthenticationInput) error { return nil }

// Validate checks one exchange: req (its body readable from reqBody) and
// the response's status, header and body. It records and returns the
// violations found.
func (v *Validator) Validate(req *http.Request, reqBody []byte, status int, header http.Header, respBody []byte) []Violation {
	p := req.URL.Path
	if v.cfg.BasePath != "" {
		if p != v.cfg.BasePath && !strings.HasPrefix(p, v.cfg.BasePath+"/") {
			return v.record(Violation{Operation: req.Method + " " + p, Status: status,
				Problem: "the path is not under the function's base path " + v.cfg.BasePath})
		}
		p = strings.TrimPrefix(p, v.cfg.BasePath)
	}
	if p == "" {
		p = "/"
	}
	e, ok := v.catalog.Match(v.cfg.Function, p)
	if !ok {
		return v.record(Violation{Operation: req.Method + " " + p, Status: status, Problem: "no API version of " + v.cfg.Function + " serves this path"})
	}
	spec := v.specs[e.ID()]
	r := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = p, ""
	r.URL = &u
	r.RequestURI = ""
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	r.ContentLength = int64(len(reqBody))

	route, params, err := spec.router.FindRoute(r)
	if err != nil {
		return v.record(Violation{API: e.ID(), Operation: req.Method + " " + p, Status: status,
			Problem: "no operation of " + e.Spec + " (" + err.Error() + ")"})
	}
	op := strings.ToUpper(req.Method) + " " + route.Path
	in := &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: acceptAny, MultiError: true},
	}
	var found []Violation
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil && status < 400 {
		found = append(found, Violation{API: e.ID(), Operation: op, Status: status,
			Problem: "the spec refuses the request the implementation accepted: " + oneLine(err)})
	}
	in.Request.Body = io.NopCloser(bytes.NewReader(reqBody))
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(respBody)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		found = append(found, Violation{API: e.ID(), Operation: op, Status: status, Problem: "response: " + oneLine(err)})
	}
	v.mu.Lock()
	v.calls[e.ID()+" "+op]++
	v.mu.Unlock()
	return v.record(found...)
}

// oneLine is err on one line without the schemas and values kin-openapi
// prints after each reason (whole documents, for a body).
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var b strings.Builder
	for {
		i := strings.Index(msg, " Schema: ")
		if i < 0 {
			b.WriteString(msg)
			break
		}
		b.WriteString(msg[:i])
		msg = msg[i+len(" Schema: "):]
		// The next reason starts after the value printed with the schema,
		// at a " | " joining errors or nowhere.
		j := strings.Index(msg, " | ")
		if j < 0 {
			break
		}
		b.WriteString(" |")
		msg = msg[j+2:]
	}
	out := b.String()
	if len(out) > 2000 {
		out = out[:2000] + "..."
	}
	return out
}

func (v *Validator) record(vs ...Violation) []Violation {
	if len(vs) == 0 {
		return nil
	}
	v.mu.Lock()
	v.violations = append(v.violations, vs...)
	v.mu.Unlock()
	return vs
}

// Violations returns what was recorded so far.
func (v *Validator) Violations() []Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Violation(nil), v.violations...)
}

// Calls returns how many exchanges each operation ("incidents/v1 GET
// /incidents/{id}") had validated.
func (v *Validator) Calls() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]int, len(v.calls))
	for k, n := range v.calls {
		out[k] = n
	}
	return out
}

// Err joins the violations recorded (nil when none).
func (v *Validator) Err() error {
	vs := v.Violations()
	if len(vs) == 0 {
		return nil
	}
	lines := make([]string, len(vs))
	for i, x := range vs {
		lines[i] = x.String()
	}
	sort.Strings(lines)
	return fmt.Errorf("apispec: %d violation(s) of the %s specs:\n  %s", len(vs), v.cfg.Function, strings.Join(lines, "\n  "))
}

// TB is the part of testing.TB Report uses.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Report fails t with every violation recorded, and, when wantCalls is
// true, when no exchange was validated at all (a test that meant to
// exercise the API did not).
func (v *Validator) Report(t TB, wantCalls bool) {
	t.Helper()
	if err := v.Err(); err != nil {
		t.Errorf("%v", err)
	}
	if wantCalls && len(v.Calls()) == 0 {
		t.Errorf("apispec: no request to %s was validated", v.cfg.Function)
	}
}

// Handler validates every exchange next serves.
func (v *Validator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		res := rec.Result()
		respBody := rec.Body.Bytes()
		v.Validate(r, body, res.StatusCode, res.Header, respBody)
		for k, vals := range res.Header {
			w.Header()[k] = vals
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(respBody)
	})
}

// RoundTripper validates every exchange sent through next (nil means
// http.DefaultTransport).
func (v *Validator) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{v: v, next: next}
}

type roundTripper struct {
	v    *Validator
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readAll(req.Body)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 && req.Body == nil {
		out.Body = nil
	}
	res, err := rt.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := readAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(respBody))
	rt.v.Validate(req, body, res.StatusCode, res.Header, respBody)
	return res, nil
}

func readAll(rc io.ReadCloser) ([]byte, error) {
	if rc == nil || rc == http.NoBody {
		return nil, nil
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
