package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

type keys map[string]apiclient.Key

func (k keys) LookupKey(_ context.Context, hash string) (apiclient.Key, bool, error) {
	if hash == "broken" {
		return apiclient.Key{}, false, errors.New("store down")
	}
	v, ok := k[hash]
	return v, ok, nil
}

func TestIdentify(t *testing.T) {
	reg := keys{
		apiclient.HashKey("k-premium"): {Client: "acme", Class: apiclient.Premium},
		apiclient.HashKey("k-plain"):   {Client: "beta"},
	}
	id := apiclient.Identifier{Keys: reg, TrustPrincipalHeader: true}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    apiclient.Client
		err     error
	}{
		{"premium key", map[string]string{"X-Api-Key": "k-premium"}, apiclient.Client{ID: "acme", Class: apiclient.Premium, Via: apiclient.ViaAPIKey}, nil},
		{"key without class is authenticated", map[string]string{"Authorization": "ApiKey k-plain"}, apiclient.Client{ID: "beta", Class: apiclient.Authenticated, Via: apiclient.ViaAPIKey}, nil},
		{"key wins over principal", map[string]string{"X-Api-Key": "k-plain", apiclient.PrincipalHeader: "arn:aws:iam::1:user/a"}, apiclient.Client{ID: "beta", Class: apiclient.Authenticated, Via: apiclient.ViaAPIKey}, nil},
		{"iam principal", map[string]string{apiclient.PrincipalHeader: "arn:aws:iam::1:user/a"}, apiclient.Client{ID: "iam:arn:aws:iam::1:user/a", Class: apiclient.Authenticated, Via: apiclient.ViaIAM}, nil},
		{"anonymous", nil, apiclient.Client{ID: "anon:192.0.2.7", Class: apiclient.Anonymous, Via: apiclient.ViaAnonymous}, nil},
		{"unknown key", map[string]string{"X-Api-Key": "nope"}, apiclient.Client{}, apiclient.ErrUnknownKey},
		{"bearer is not a key", map[string]string{"Authorization": "Bearer x"}, apiclient.Client{ID: "anon:192.0.2.7", Class: apiclient.Anonymous, Via: apiclient.ViaAnonymous}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/orders", nil)
			r.RemoteAddr = "192.0.2.7:4242"
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			got, err := id.Identify(r)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("Identify = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
	// Where the platform does not set the principal header, it is not trusted.
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	r.Header.Set(apiclient.PrincipalHeader, "arn:aws:iam::1:user/forged")
	if got, _ := (apiclient.Identifier{}).Identify(r); got.Class != apiclient.Anonymous {
		t.Fatalf("untrusted principal header gave %+v, want anonymous", got)
	}
}

func TestMiddleware(t *testing.T) {
	var got apiclient.Client
	h := apiclient.Identifier{Keys: keys{apiclient.HashKey("good"): {Client: "acme", Class: apiclient.Premium}}}.Middleware(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = apiclient.FromContext(r.Context()) }))
	for _, tc := range []struct {
		key    string
		status int
	}{{"good", 200}, {"bad", 401}} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Api-Key", tc.key)
		h.ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Fatalf("key %q: status %d, want %d (%s)", tc.key, rec.Code, tc.status, rec.Body)
		}
	}
	if got.ID != "acme" {
		t.Fatalf("client in context = %+v", got)
	}
}
