package governance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ProbeOptions tunes Probe. The zero value is the default.
type ProbeOptions struct {
	// Client sends the probes (nil: a client with a 10 s timeout).
	Client *http.Client
	// Header is sent with the oversized-body and rate-limit probes
	// (credentials, so authentication does not mask what is probed); the
	// unauthenticated probe never sends it.
	Header http.Header
	// BodyBytes is the oversized body's size (0: 7 MiB, over the 6 MB a
	// Lambda function URL accepts).
	BodyBytes int64
	// Burst is how many rapid requests may go by before a 429 is
	// expected (0: 100).
	Burst int
	// MaxOperations bounds the secured operations probed without
	// credentials (0: 20).
	MaxOperations int
	// Unsafe lets the unauthenticated probe send POST, PUT, PATCH and
	// DELETE too; by default it sends only GET and HEAD, so a broken API
	// is not changed by its audit.
	Unsafe bool
	// Skip names probes not to run: "auth", "body", "rate".
	Skip []string
}

func (o ProbeOptions) skip(name string) bool {
	for _, s := range o.Skip {
		if s == name {
			return true
		}
	}
	return false
}

// Probe checks a running API at baseURL against its spec: secured
// operations refuse requests without credentials (401/403), an oversized
// body is refused (413 or 400), and a burst of requests meets a 429 with
// Retry-After. What it sees comes back as findings (rules "probe-...")
// located at the operation probed. Requests go only to baseURL; the burst
// stops at the first 429.
func Probe(ctx context.Context, baseURL string, spec []byte, opts ProbeOptions) ([]Finding, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("governance: probe base URL %q is not an http(s) URL", baseURL)
	}
	if int64(len(spec)) > DefaultMaxBytes {
		return nil, tooLarge("spec", int64(len(spec)), DefaultMaxBytes)
	}
	root, err := parse("spec", spec)
	if err != nil {
		return nil, err
	}
	if err := checkOpenAPI("spec", root); err != nil {
		return nil, err
	}
	a := &auditor{root: root, visited: map[visitKey]bool{}, seen: map[string]bool{}}
	if err := a.checkRefs(root); err != nil {
		return nil, err
	}
	a.findings = nil
	a.collect()
	p := &prober{a: a, base: strings.TrimSuffix(baseURL, "/"), opts: opts, client: opts.Client}
	if p.client == nil {
		p.client = &http.Client{Timeout: 10 * time.Second}
	}
	if p.opts.BodyBytes <= 0 {
		p.opts.BodyBytes = 7 << 20
	}
	if p.opts.Burst <= 0 {
		p.opts.Burst = 100
	}
	if p.opts.MaxOperations <= 0 {
		p.opts.MaxOperations = 20
	}
	for _, step := range []struct {
		name string
		run  func(context.Context) error
	}{{"auth", p.unauthenticated}, {"body", p.oversized}, {"rate", p.rateLimit}} {
		if opts.skip(step.name) {
			continue
		}
		if err := step.run(ctx); err != nil {
			return a.findings, err
		}
	}
	return a.findings, nil
}

type prober struct {
	a      *auditor
	base   string
	opts   ProbeOptions
	client *http.Client
}

// target fills the path parameters with an example, a default, the first
// enum value, or a value of the declared type.
func (p *prober) target(op *operation) string {
	path := op.path
	for _, par := range op.params {
		if sval(get(par.node, "in")) != "path" {
			continue
		}
		name := sval(get(par.node, "name"))
		sch, _, _ := p.a.resolve(get(par.node, "schema"), "")
		v := ""
		for _, n := range []string{sval(get(par.node, "example")), sval(get(sch, "example")), sval(get(sch, "default"))} {
			if v == "" {
				v = n
			}
		}
		if e := items(get(sch, "enum")); v == "" && len(e) > 0 {
			v = sval(e[0])
		}
		if v == "" {
			switch t := schemaTypes(sch); {
			case t["integer"] || t["number"]:
				v = "1"
			case sval(get(sch, "format")) == "uuid":
				v = "00000000-0000-4000-8000-000000000000"
			default:
				v = "probe"
			}
		}
		path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
	}
	return p.base + path
}

func (p *prober) send(ctx context.Context, method, target string, body io.Reader, size int64, withHeader bool, contentType string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), target, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	if withHeader {
		for k, vs := range p.opts.Header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

func (p *prober) inconclusive(op *operation, what string) {
	p.a.add(RuleProbeInconclusive, op.loc, op.line, what)
}

// unauthenticated: secured operations must refuse a request without
// credentials.
func (p *prober) unauthenticated(ctx context.Context) error {
	n := 0
	for _, op := range p.a.ops {
		if op.callback || n >= p.opts.MaxOperations {
			continue
		}
		reqs, _, _, _ := p.a.security(op)
		if unsecured(reqs) || (!p.opts.Unsafe && !safeMethods[op.method]) || op.method == "options" || op.method == "trace" {
			continue
		}
		n++
		target := p.target(op)
		resp, err := p.send(ctx, op.method, target, nil, 0, false, "")
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.inconclusive(op, fmt.Sprintf("%s %s without credentials: %v", strings.ToUpper(op.method), target, err))
			continue
		}
		switch c := resp.StatusCode; {
		case c == 401 || c == 403:
		case c < 400:
			p.a.add(RuleProbeUnauthenticated, op.loc, op.line, fmt.Sprintf("%s %s without credentials answered %d", strings.ToUpper(op.method), target, c))
		default:
			p.inconclusive(op, fmt.Sprintf("%s %s without credentials answered %d, not 401 or 403", strings.ToUpper(op.method), target, c))
		}
	}
	return nil
}

// repeatReader yields n bytes of 'a' without holding them in memory.
type repeatReader struct{ left int64 }

func (r *repeatReader) Read(b []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > r.left {
		n = r.left
	}
	for i := range b[:n] {
		b[i] = 'a'
	}
	r.left -= n
	return int(n), nil
}

// oversized: the first operation with a request body must refuse a body
// of BodyBytes (a JSON object with one long string).
func (p *prober) oversized(ctx context.Context) error {
	for _, op := range p.a.ops {
		if op.callback {
			continue
		}
		body, _, _ := p.a.resolve(get(op.node, "requestBody"), "")
		if body == nil {
			continue
		}
		ct := "application/json"
		for _, mt := range pairs(get(body, "content")) {
			ct = mt.key
			break
		}
		head, tail := `{"probe":"`, `"}`
		size := p.opts.BodyBytes
		r := io.MultiReader(strings.NewReader(head), &repeatReader{left: size - int64(len(head)+len(tail))}, strings.NewReader(tail))
		target := p.target(op)
		resp, err := p.send(ctx, op.method, target, r, size, true, ct)
		what := fmt.Sprintf("%s %s with a %d-byte body", strings.ToUpper(op.method), target, size)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A server that stops reading and closes has refused it.
			if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
				return nil
			}
			p.inconclusive(op, fmt.Sprintf("%s: %v", what, err))
			return nil
		}
		switch c := resp.StatusCode; {
		case c == 413 || c == 400 || c == 431 || c == 422:
		case c < 400:
			p.a.add(RuleProbeOversized, op.loc, op.line, fmt.Sprintf("%s was accepted (%d)", what, c))
		default:
			p.inconclusive(op, fmt.Sprintf("%s answered %d, not 413 or 400", what, c))
		}
		return nil
	}
	return nil
}

// rateLimit: a burst to one GET operation (one without path parameters
// when there is one) must meet a 429 carrying Retry-After.
func (p *prober) rateLimit(ctx context.Context) error {
	var op *operation
	for _, o := range p.a.ops {
		if o.callback || o.method != "get" {
			continue
		}
		if op == nil || (strings.Contains(op.path, "{") && !strings.Contains(o.path, "{")) {
			op = o
		}
	}
	if op == nil {
		return nil
	}
	target := p.target(op)
	ok := 0
	for i := 0; i < p.opts.Burst; i++ {
		resp, err := p.send(ctx, "get", target, nil, 0, true, "")
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.inconclusive(op, fmt.Sprintf("rate-limit burst to GET %s: %v", target, err))
			return nil
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" {
				p.a.add(RuleProbeNoRetryAfter, op.loc, op.line, fmt.Sprintf("GET %s answered 429 after %d requests without Retry-After", target, i+1))
			}
			return nil
		}
		if resp.StatusCode < 400 {
			ok++
		}
	}
	if ok == 0 {
		p.inconclusive(op, fmt.Sprintf("rate-limit burst to GET %s: no request succeeded and none was throttled", target))
		return nil
	}
	p.a.add(RuleProbeNoRateLimit, op.loc, op.line, fmt.Sprintf("%d rapid requests to GET %s met no 429", p.opts.Burst, target))
	return nil
}
