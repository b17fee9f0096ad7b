package discovery

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Scheme is the URL scheme Transport resolves: discovery://SERVICE/PATH
// goes to PATH on a picked instance of SERVICE.
const Scheme = "discovery"

// Transport is an http.RoundTripper that sends discovery://SERVICE/PATH
// requests to a picked instance (its URL with PATH appended, the query
// kept) through Base, and any other request to Base unchanged. The pick is
// released when the response body is closed (or the request fails), so
// LeastOutstanding counts requests in flight.
type Transport struct {
	Client *Client
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if req.URL.Scheme != Scheme {
		return base.RoundTrip(req)
	}
	service := req.URL.Host
	sel, err := t.Client.Pick(req.Context(), service)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	target, err := url.Parse(sel.Instance.URL)
	if err != nil {
		sel.Done()
		closeBody(req)
		return nil, fmt.Errorf("discovery: instance %s has URL %q: %w", sel.Instance, sel.Instance.URL, err)
	}
	out := req.Clone(req.Context())
	u := *req.URL
	u.Scheme, u.Host = target.Scheme, target.Host
	u.Path = strings.TrimSuffix(target.Path, "/") + "/" + strings.TrimPrefix(req.URL.Path, "/")
	if req.URL.RawPath != "" {
		u.RawPath = strings.TrimSuffix(target.EscapedPath(), "/") + "/" + strings.TrimPrefix(req.URL.RawPath, "/")
	}
	out.URL, out.Host = &u, ""
	resp, err := base.RoundTrip(out)
	if err != nil {
		sel.Done()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, done: sel.Done}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// releaseBody releases its selection once, when closed.
type releaseBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

var _ http.RoundTripper = (*Transport)(nil)
