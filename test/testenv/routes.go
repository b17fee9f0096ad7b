package testenv

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Route is one call of CheckRoutes: a request and the status it must get.
type Route struct {
	Method, Path, Body string
	Want               int
}

// CheckRoutes calls each route of a function's JSON API at base+route.Path
// with hc (a validating client, say), the bearer token and, when there is a
// body, Content-Type application/json, and reports every status that is not
// the one wanted, with the answer's body.
func CheckRoutes(t testing.TB, hc *http.Client, base, token string, routes []Route) {
	t.Helper()
	for _, c := range routes {
		var body io.Reader
		if c.Body != "" {
			body = strings.NewReader(c.Body)
		}
		req, err := http.NewRequest(c.Method, base+c.Path, body)
		if err != nil {
			t.Fatalf("%s %s: %v", c.Method, c.Path, err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
		if c.Body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.Want {
			t.Errorf("%s %s: %s %s, want %d", c.Method, c.Path, resp.Status, b, c.Want)
		}
	}
}

// R is a Route: method, path, body ("" for none) and the status wanted.
func R(method, path, body string, want int) Route {
	return Route{Method: method, Path: path, Body: body, Want: want}
}
