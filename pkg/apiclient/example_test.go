package apiclient_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

func Example() {
	id := apiclient.Identifier{Keys: keys{apiclient.HashKey("s3cr3t"): {Client: "acme", Class: apiclient.Premium}}}
	h := id.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := apiclient.FromContext(r.Context())
		fmt.Println(c.ID, c.Class, c.Via)
	}))
	for _, key := range []string{"s3cr3t", ""} {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.RemoteAddr = "198.51.100.4:5000"
		if key != "" {
			r.Header.Set(apiclient.APIKeyHeader, key)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// acme premium api-key
	// anon:198.51.100.4 anonymous anonymous
}
