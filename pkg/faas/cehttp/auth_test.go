package cehttp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
)

func TestProtectedFunctionsNeedTheAuthorizer(t *testing.T) {
	called := 0
	fn := faas.Function{Name: "api", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
		called++
		return nil, nil
	}, Routes: []faas.Route{{Method: "GET", Path: "/things", EventType: "dev.cogniforge.request.completed.v1"}}}
	authorize := func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer good" {
			return errors.New("no token")
		}
		return nil
	}
	tests := []struct {
		name      string
		protected bool
		auth      string
		want      int
	}{
		{"protected, no token", true, "", http.StatusUnauthorized},
		{"protected, wrong token", true, "Bearer bad", http.StatusUnauthorized},
		{"protected, token", true, "Bearer good", http.StatusNoContent},
		{"open", false, "", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn.Protected = tt.protected
			before := called
			h := cehttp.NewHandler(fn, adapter.WithAuthorizer(authorize), adapter.WithLogger(quietLogger()))
			req := httptest.NewRequest("GET", "/things", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body.String())
			}
			if refused := rec.Code == http.StatusUnauthorized; refused != (called == before) || (refused && !strings.Contains(rec.Body.String(), "Unauthorized")) {
				t.Errorf("refused %v but handler called %d times: %s", refused, called-before, rec.Body.String())
			}
		})
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
