package cehttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/faas/faastest"
)

// A function is a handler plus metadata; the same value runs on every platform.
func exampleFunction() faas.Function {
	return faas.Function{
		Name:          "greeter",
		TaskEventType: "dev.cogniforge.greeting.requested.v1",
		Handler: func(ctx context.Context, ev cloudevents.Event) (*cloudevents.Event, error) {
			var in struct{ Name string }
			if err := ev.DataAs(&in); err != nil || in.Name == "" {
				return nil, faas.Errorf("Greeter.NoName", "who should I greet?")
			}
			reply := cloudevents.NewEvent()
			reply.SetID("greeting-" + ev.ID())
			reply.SetSource("/greeter")
			reply.SetType("dev.cogniforge.greeting.sent.v1")
			_ = reply.SetData(cloudevents.ApplicationJSON, map[string]string{"greeting": "hello " + in.Name})
			return &reply, nil
		},
	}
}

// NewHandler serves the CloudEvents HTTP binding; failures are RFC 7807
// problems.
func ExampleNewHandler() {
	h := cehttp.NewHandler(exampleFunction(), adapter.WithLogger(faastest.QuietLogger()))

	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "1")
	req.Header.Set("Ce-Source", "/example")
	req.Header.Set("Ce-Type", "dev.cogniforge.greeting.requested.v1")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Ce-Type"), rec.Body.String())

	bad := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, bad)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), faas.ProblemFor(faas.Errorf(faas.ErrInvalidEvent, "x")).Status == http.StatusBadRequest)
	// Output:
	// 200 dev.cogniforge.greeting.sent.v1 {"greeting":"hello Ada"}
	// 400 application/problem+json true
}
