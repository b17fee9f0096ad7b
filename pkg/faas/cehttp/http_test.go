package cehttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/faas/faastest"

	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

func TestHTTPHandlerBinaryAndStructured(t *testing.T) {
	srv := httptest.NewServer(cehttp.NewHandler(faastest.Function(), faastest.Options()...))
	t.Cleanup(srv.Close)
	ev := faastest.CompletedEvent("e1", faastest.RequestCompleted{Service: "checkout", Operation: "pay", Status: "ok", DurationMs: 12})

	t.Run("binary", func(t *testing.T) {
		req, err := sdkhttp.NewHTTPRequestFromEvent(context.Background(), srv.URL, ev)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got := resp.Header.Get("Ce-Type"); got != faastest.RecordedType {
			t.Fatalf("Ce-Type = %q", got)
		}
		if got := resp.Header.Get("Ce-Correlationid"); got != "e1" {
			t.Fatalf("reply correlation id = %q, want the request's id", got)
		}
		reply, err := sdkhttp.NewEventFromHTTPResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		if reply.ID() != "reply-e1" || !strings.Contains(string(reply.Data()), `"checkout"`) {
			t.Fatalf("reply %v", reply)
		}
	})
	t.Run("structured", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL, cehttp.ContentTypeStructured, strings.NewReader(faastest.StructuredJSON(t, ev)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != cehttp.ContentTypeStructured {
			t.Fatalf("status %d content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var reply cloudevents.Event
		if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
			t.Fatal(err)
		}
		if reply.Type() != faastest.RecordedType {
			t.Fatalf("reply type %q", reply.Type())
		}
	})
}

func TestHTTPHandlerStatuses(t *testing.T) {
	h := cehttp.NewHandler(faastest.Function(), faastest.Options()...)
	ok := faastest.CompletedEvent("e1", faastest.RequestCompleted{Service: "s", Operation: "noreply"})
	binary := func(ev cloudevents.Event) *http.Request {
		r, err := sdkhttp.NewHTTPRequestFromEvent(context.Background(), "http://x/", ev)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withOp := func(op string) *http.Request {
		return binary(faastest.CompletedEvent("e-"+op, faastest.RequestCompleted{Service: "s", Operation: op}))
	}
	structured := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", cehttp.ContentTypeStructured)
		return r
	}
	noID := func() *http.Request {
		r := binary(ok)
		r.Header.Del("Ce-Id")
		return r
	}
	tests := []struct {
		name      string
		req       *http.Request
		status    int
		errorType string
		field     string
	}{
		{"no reply", binary(ok), 202, "", ""},
		{"business error", withOp("business"), 422, "Saga.BusinessError", ""},
		{"retryable error", withOp("retry"), 503, "Store.Throttled", ""},
		{"panic", withOp("panic"), 500, faas.ErrPanic, ""},
		{"unnamed error", withOp("plain"), 500, "errorString", ""},
		{"schema invalid", binary(faastest.CompletedEvent("e2", faastest.RequestCompleted{Operation: "x"})), 400, faas.ErrInvalidEvent, "data.service"},
		{"missing id", noID(), 400, faas.ErrInvalidEvent, "id"},
		{"not a cloudevent", httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`)), 400, faas.ErrInvalidEvent, "specversion"},
		{"malformed structured", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{"specversion":"1.0","id":`))
			r.Header.Set("Content-Type", cehttp.ContentTypeStructured)
			return r
		}(), 400, faas.ErrInvalidEvent, ""},
		{"structured without type", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{"specversion":"1.0","id":"1","source":"/s"}`))
			r.Header.Set("Content-Type", cehttp.ContentTypeStructured)
			return r
		}(), 400, faas.ErrInvalidEvent, "type"},
		{"GET", httptest.NewRequest("GET", "/", nil), 405, faas.ErrUnsupported, ""},
		{"unknown specversion", structured(`{"specversion":"2.0","id":"1","source":"/s","type":"t"}`), 400, faas.ErrInvalidEvent, "specversion"},
		{"bad time", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"yesterday"}`), 400, faas.ErrInvalidEvent, "time"},
		{"bad base64", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!"}`), 400, faas.ErrInvalidEvent, "data_base64"},
		{"batch not an array", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
			r.Header.Set("Content-Type", cehttp.ContentTypeBatch)
			return r
		}(), 400, faas.ErrInvalidEvent, "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.errorType == "" {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			p := faastest.ProblemOf(t, rec.Body)
			if p.ErrorType != tc.errorType || p.Status != tc.status || p.Type != faas.ProblemTypePrefix+tc.errorType || p.Title == "" {
				t.Fatalf("problem %+v", p)
			}
			if tc.field != "" && p.Field != tc.field {
				t.Fatalf("field %q want %q (%+v)", p.Field, tc.field, p)
			}
			if p.Status == 500 && strings.Contains(p.Detail, "secret") {
				t.Fatalf("500 detail leaks internals: %q", p.Detail)
			}
		})
	}
}

func TestHTTPHandlerBatch(t *testing.T) {
	for _, batch := range []bool{false, true} {
		name := "per-event"
		fn := faastest.Function()
		if batch {
			name = "fn.Batch"
			calls := 0
			fn.Batch = func(ctx context.Context, evs []cloudevents.Event) []faas.Result {
				calls++
				out := make([]faas.Result, len(evs))
				for i, ev := range evs {
					out[i].Event, out[i].Err = faastest.Handler(ctx, ev)
				}
				return out
			}
			t.Cleanup(func() {
				if calls != 1 {
					t.Errorf("batch handler called %d times, want 1", calls)
				}
			})
		}
		t.Run(name, func(t *testing.T) {
			h := cehttp.NewHandler(fn, faastest.Options()...)
			evs := []cloudevents.Event{
				faastest.CompletedEvent("a", faastest.RequestCompleted{Service: "s", Operation: "x"}),
				faastest.CompletedEvent("b", faastest.RequestCompleted{Service: "s", Operation: "business"}),
				faastest.CompletedEvent("c", faastest.RequestCompleted{Operation: "x"}), // fails validation
				faastest.CompletedEvent("d", faastest.RequestCompleted{Service: "s", Operation: "noreply"}),
			}
			body, _ := json.Marshal(evs)
			req := httptest.NewRequest("POST", "/", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", cehttp.ContentTypeBatch)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusMultiStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var out struct{ Results []cehttp.BatchResult }
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			want := []int{200, 422, 400, 202}
			if len(out.Results) != len(want) {
				t.Fatalf("results %+v", out.Results)
			}
			for i, w := range want {
				if out.Results[i].Status != w || out.Results[i].ID != evs[i].ID() {
					t.Fatalf("result %d = %+v, want status %d", i, out.Results[i], w)
				}
			}
			if out.Results[2].Problem.Field != "data.service" {
				t.Fatalf("problem %+v", out.Results[2].Problem)
			}
		})
	}
}

func TestHTTPHandlerRoute(t *testing.T) {
	h := cehttp.NewHandler(faastest.Function(), faastest.Options()...)
	tests := []struct {
		name, body string
		status     int
		contains   string
	}{
		{"reply", `{"service":"checkout","operation":"pay"}`, 200, `"checkout"`},
		{"no reply", `{"service":"checkout","operation":"noreply"}`, 204, ""},
		{"not json", `{"service":`, 400, `"field":"body"`},
		{"invalid", `{"operation":"pay"}`, 400, `"field":"data.service"`},
		{"business", `{"service":"s","operation":"business"}`, 422, `Saga.BusinessError`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/requests", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			b, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.status || !strings.Contains(string(b), tc.contains) {
				t.Fatalf("status %d body %s", rec.Code, b)
			}
		})
	}
}

func TestFunctionValidate(t *testing.T) {
	if err := faastest.Function().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := faas.Function{Routes: []faas.Route{
		{Method: "POST", Path: "nope", EventType: "x"},
		{Method: "POST", Path: "/a"},
		{Method: "POST", Path: "/b/{", EventType: "x"},
		{Method: "POST", Path: "/c", EventType: "x"},
		{Method: "POST", Path: "/c", EventType: "y"},
	}}
	err := bad.Validate()
	for _, want := range []string{"Name is required", "Handler is required", "must start with /", "EventType is required", `"POST /b/{"`, `"POST /c"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

func TestDecodeHTTPEvent(t *testing.T) {
	cases := []struct {
		name      string
		headers   map[string]string
		body      string
		wantID    string // the event returned, even beside an error
		wantField string // the FieldError's field; "" for success
	}{
		{name: "structured", headers: map[string]string{"Content-Type": cehttp.ContentTypeStructured},
			body: `{"specversion":"1.0","id":"a","type":"t","source":"s"}`, wantID: "a"},
		{name: "binary", headers: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "b", "Ce-Type": "t", "Ce-Source": "s"}, wantID: "b"},
		{name: "decoded but invalid", headers: map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "c", "Ce-Source": "s"}, wantID: "c", wantField: "type"},
		{name: "not a CloudEvent", headers: map[string]string{"Content-Type": "application/json"}, body: `{}`, wantField: "specversion"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			ev, err := cehttp.DecodeEvent(r)
			if (ev == nil && c.wantID != "") || (ev != nil && ev.ID() != c.wantID) {
				t.Fatalf("event %v, want ID %q", ev, c.wantID)
			}
			if c.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *faas.FieldError
			if faas.ErrorName(err) != faas.ErrInvalidEvent || !errors.As(err, &fe) || fe.Field != c.wantField {
				t.Fatalf("error %v (%s), want an invalid %s", err, faas.ErrorName(err), c.wantField)
			}
		})
	}
}

// A structured request gets its reply as a structured event that decodes
// back to the reply the handler returned, whatever its data: JSON (kept as
// JSON, spacing and all), text, bytes in base64. A reply whose JSON data is
// not JSON cannot be encoded and is answered with a problem, as before.
func TestStructuredReplies(t *testing.T) {
	reply := func(ct string, data []byte, base64 bool) cloudevents.Event {
		r := cloudevents.NewEvent()
		r.SetID("r-1")
		r.SetSource("/reply")
		r.SetType("dev.cogniforge.reply.v1")
		r.SetExtension("correlationid", "c-1")
		r.SetExtension("count", 3)
		if ct != "" {
			r.SetDataContentType(ct)
		}
		r.DataEncoded, r.DataBase64 = data, base64
		return r
	}
	tests := []struct {
		name   string
		reply  cloudevents.Event
		status int
	}{
		{"json", reply("application/json", []byte(`{"a": [1, 2], "html": "<b>&"}`), false), http.StatusOK},
		{"json with parameters", reply("application/json; charset=utf-8", []byte(`{"a":1}`), false), http.StatusOK},
		{"no content type", reply("", []byte(`{"a":1}`), false), http.StatusOK},
		{"text", reply("text/plain", []byte(`not "json" <at all>`), false), http.StatusOK},
		{"base64", reply("application/octet-stream", []byte{0, 1, 2, 255}, true), http.StatusOK},
		{"no data", reply("", nil, false), http.StatusOK},
		{"json that is not", reply("application/json", []byte(`{"a":`), false), http.StatusBadRequest},
	}
	req := faastest.CompletedEvent("e1", faastest.RequestCompleted{Service: "s"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := faas.Function{Name: "r", Handler: func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
				r := tt.reply
				return &r, nil
			}}
			srv := httptest.NewServer(cehttp.NewHandler(fn, faastest.Options()...))
			defer srv.Close()
			resp, err := srv.Client().Post(srv.URL, cehttp.ContentTypeStructured+"; charset=utf-8", strings.NewReader(faastest.StructuredJSON(t, req)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				var p faas.Problem
				if err := json.Unmarshal(body, &p); err != nil || p.ErrorType != faas.ErrInvalidEvent {
					t.Fatalf("problem %s (%v)", body, err)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != cehttp.ContentTypeStructured {
				t.Errorf("content type %q", ct)
			}
			if !json.Valid(body) {
				t.Fatalf("reply is not JSON: %s", body)
			}
			var got cloudevents.Event
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			want := tt.reply
			if got.ID() != want.ID() || got.Type() != want.Type() || got.Source() != want.Source() ||
				got.DataContentType() != want.DataContentType() || string(got.Data()) != string(want.Data()) ||
				got.Extensions()["correlationid"] != "c-1" || got.Extensions()["count"] != int32(3) {
				t.Errorf("reply decodes to %v, want %v", got, want)
			}
		})
	}
}

// DecodeEvent reads the common structured request its own way; what it
// answers, event or error, must be what the sdk's decoder answers for the
// same request, whether or not the request takes that way.
func TestDecodeStructuredMatchesSDK(t *testing.T) {
	const ev = `{"specversion":"1.0","id":"a","type":"t","source":"/s"`
	cases := []struct {
		name        string
		contentType string
		body        string
		declared    int64 // Content-Length when not the body's length
		limit       int64 // http.MaxBytesReader's limit, 0 for none
	}{
		{name: "minimal", body: ev + `}`},
		{name: "every attribute", body: ev + `,"subject":"x","time":"2026-01-02T03:04:05.123Z","dataschema":"https://s/x","datacontenttype":"application/json","data":{"a": [1, 2.5, "<b>"]},"correlationid":"c","count":3,"flag":true}`},
		{name: "data_base64", body: ev + `,"datacontenttype":"application/octet-stream","data_base64":"AAEC/w=="}`},
		{name: "text data", body: ev + `,"datacontenttype":"text/plain","data":"hello"}`},
		{name: "spaces around", body: " \n\t" + ev + "}\r\n "},
		{name: "content type with parameters", contentType: cehttp.ContentTypeStructured + "; charset=utf-8", body: ev + `}`},
		{name: "not JSON", body: ev + `,}`},
		{name: "trailing garbage", body: ev + `} x`},
		{name: "an array", body: `[` + ev + `}]`},
		{name: "null", body: `null`},
		{name: "no specversion", body: `{"id":"a","type":"t","source":"/s"}`},
		{name: "unknown specversion", body: `{"specversion":"2.0","id":"a","type":"t","source":"/s"}`},
		{name: "bad time", body: ev + `,"time":"yesterday"}`},
		{name: "bad base64", body: ev + `,"data_base64":"!!"}`},
		{name: "invalid attribute", body: `{"specversion":"1.0","id":"","type":"t","source":"/s"}`},
		{name: "blank id", body: `{"specversion":"1.0","id":"  ","type":"t","source":"/s"}`},
		{name: "blank type", body: `{"specversion":"1.0","id":"a","type":" ","source":"/s"}`},
		{name: "blank subject", body: ev + `,"subject":"  "}`},
		{name: "fragment-only source", body: `{"specversion":"1.0","id":"a","type":"t","source":"#"}`},
		{name: "no source", body: `{"specversion":"1.0","id":"a","type":"t"}`},
		{name: "bad content type", body: ev + `,"datacontenttype":"not a/media type;;"}`},
		{name: "other content type", body: ev + `,"datacontenttype":"application/xml","data":"<a/>"}`},
		{name: "relative dataschema", body: ev + `,"dataschema":"x/y"}`},
		{name: "over the limit", body: ev + `,"data":"` + strings.Repeat("x", 200) + `"}`, limit: 100},
		{name: "shorter than declared", body: ev + `}`, declared: 500},
		{name: "too large for the fast path", body: ev + `,"data":"` + strings.Repeat("x", 70<<10) + `"}`},
		{name: "invalid UTF-8", body: ev + `,"subject":"` + "\xff" + `"}`},
	}
	request := func(c struct {
		name        string
		contentType string
		body        string
		declared    int64
		limit       int64
	}) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		ct := c.contentType
		if ct == "" {
			ct = cehttp.ContentTypeStructured
		}
		r.Header.Set("Content-Type", ct)
		if c.declared != 0 {
			r.ContentLength = c.declared
		}
		if c.limit != 0 {
			r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, c.limit)
		}
		return r
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, gotErr := cehttp.DecodeEvent(request(c))
			want, wantErr := sdkhttp.NewEventFromHTTPRequest(request(c))
			if wantErr != nil {
				wantErr = cehttp.DecodeError(wantErr)
			} else if err := want.Validate(); err != nil {
				wantErr = faas.InvalidEvent(err)
			}
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("error %v, want %v", gotErr, wantErr)
			}
			if (got == nil) != (want == nil) {
				t.Fatalf("event %v, want %v", got, want)
			}
			if got != nil && got.String() != want.String() || got != nil && string(got.Data()) != string(want.Data()) {
				t.Errorf("event\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// FuzzDecodeStructured holds DecodeEvent's structured-mode reader to the
// sdk's decoder on any body: the same event or the same error.
func FuzzDecodeStructured(f *testing.F) {
	for _, s := range []string{
		`{"specversion":"1.0","id":"a","type":"t","source":"/s"}`,
		`{"specversion":"1.0","id":"a","type":"t","source":"/s","data":{"x":[1,"y"]},"ext":1}`,
		`{"specversion":"1.0","id":"a","type":"t","source":"/s","data_base64":"AAE="}`,
		`{"specversion":"0.3","id":"a","type":"t","source":"/s","datacontentencoding":"base64","data":"AAE="}`,
		` {"specversion":"1.0"} `, `{`, `[]`, `null`, `{"data":}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		request := func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			r.Header.Set("Content-Type", cehttp.ContentTypeStructured)
			return r
		}
		got, gotErr := cehttp.DecodeEvent(request())
		want, wantErr := sdkhttp.NewEventFromHTTPRequest(request())
		if wantErr != nil {
			wantErr = cehttp.DecodeError(wantErr)
		} else if err := want.Validate(); err != nil {
			wantErr = faas.InvalidEvent(err)
		}
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("error %v, want %v", gotErr, wantErr)
		}
		if (got == nil) != (want == nil) || got != nil && (got.String() != want.String() || string(got.Data()) != string(want.Data())) {
			t.Fatalf("event %v, want %v", got, want)
		}
	})
}
