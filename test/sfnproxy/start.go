package sfnproxy

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// Start serves a proxy in front of motoEndpoint for the rest of the test and
// returns the proxy's endpoint ("http://127.0.0.1:PORT"). Answered requests
// are logged with t.Logf.
func Start(t testing.TB, motoEndpoint string, opts ...Option) (proxyEndpoint string) {
	t.Helper()
	target, err := url.Parse(motoEndpoint)
	if err != nil || target.Scheme == "" || target.Host == "" {
		t.Fatalf("sfnproxy: moto endpoint %q is not an absolute URL (%v)", motoEndpoint, err)
	}
	srv := httptest.NewServer(New(target, append([]Option{WithLogf(t.Logf)}, opts...)...))
	t.Cleanup(srv.Close)
	return srv.URL
}
