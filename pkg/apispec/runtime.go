package apispec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
)

// RuntimePrefix is where the local runtime (cogniforge run) serves a
// function: /functions/NAME or /functions/NAME:QUALIFIER, then the
// function's own path.
const RuntimePrefix = "/functions/"

// Runtime validates the calls a test makes to a local runtime: every call
// to a function that serves an API of the catalog is checked against its
// spec; other calls (the runtime's own endpoints, functions without an
// API) pass unchecked. It is safe for concurrent use.
type Runtime struct {
	validators map[string]*Validator // by function
}

// NewRuntime loads the spec of every API in api.Files.
func NewRuntime() (*Runtime, error) {
	c, err := apicatalog.Load(api.Files, api.CatalogFile)
	if err != nil {
		return nil, err
	}
	r := &Runtime{validators: map[string]*Validator{}}
	for _, e := range c.Entries {
		if r.validators[e.Function] != nil {
			continue
		}
		v, err := New(Config{Function: e.Function})
		if err != nil {
			return nil, err
		}
		r.validators[e.Function] = v
	}
	return r, nil
}

// split returns the function a runtime path addresses and the function's
// own path ("/" at its root).
func split(p string) (function, rest string, ok bool) {
	after, found := strings.CutPrefix(p, RuntimePrefix)
	if !found {
		return "", "", false
	}
	name, rest, _ := strings.Cut(after, "/")
	name, _, _ = strings.Cut(name, ":")
	return name, "/" + rest, name != ""
}

// RoundTripper validates every call through next (nil means
// http.DefaultTransport) to a function with an API.
func (r *Runtime) RoundTripper(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return runtimeTripper{r: r, next: next}
}

type runtimeTripper struct {
	r    *Runtime
	next http.RoundTripper
}

func (rt runtimeTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	fn, rest, ok := split(req.URL.Path)
	v := rt.r.validators[fn]
	if !ok || v == nil {
		return rt.next.RoundTrip(req)
	}
	body, err := readAll(req.Body)
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = nil
	if body != nil {
		out.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := rt.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	respBody, err := readAll(res.Body)
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(respBody))
	in := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = rest, ""
	in.URL = &u
	v.Validate(in, body, res.StatusCode, res.Header, respBody)
	return res, nil
}

// Client is an http.Client whose calls to the runtime's functions are
// validated.
func (r *Runtime) Client() *http.Client {
	return &http.Client{Transport: r.RoundTripper(nil)}
}

// Calls returns, per function, how many exchanges each of its operations
// had validated.
func (r *Runtime) Calls() map[string]map[string]int {
	out := map[string]map[string]int{}
	for fn, v := range r.validators {
		if c := v.Calls(); len(c) > 0 {
			out[fn] = c
		}
	}
	return out
}

// Err joins the violations of every function (nil when none).
func (r *Runtime) Err() error {
	names := make([]string, 0, len(r.validators))
	for fn := range r.validators {
		names = append(names, fn)
	}
	sort.Strings(names)
	var msgs []string
	for _, fn := range names {
		if err := r.validators[fn].Err(); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// Report fails t with every violation, and with each function of
// wantCalled that had no exchange validated.
func (r *Runtime) Report(t TB, wantCalled ...string) {
	t.Helper()
	if err := r.Err(); err != nil {
		t.Errorf("%v", err)
	}
	calls := r.Calls()
	for _, fn := range wantCalled {
		if len(calls[fn]) == 0 {
			t.Errorf("apispec: no request to %s was validated", fn)
		}
	}
}
