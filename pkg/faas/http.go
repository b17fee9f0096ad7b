package faas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Content types of the CloudEvents HTTP binding.
const (
	ContentTypeStructured = "application/cloudevents+json"
	ContentTypeBatch      = "application/cloudevents-batch+json"
	ContentTypeJSON       = "application/json"
)

// NewHTTPHandler serves fn over the CloudEvents HTTP binding:
//
//   - POST a binary-mode (ce-* headers) or structured-mode
//     (application/cloudevents+json) event: the reply event is written with
//     status 200 in the same mode as the request; no reply answers 202.
//   - POST application/cloudevents-batch+json: fn.Batch when set, else the
//     handler per event; the answer is {"results":[{"id","status","event"?,
//     "problem"?}...]} with status 200 when every event succeeded, else 207.
//   - fn.Routes: the plain JSON body (or, without a body, an object of the
//     query parameters) becomes the data of an event of Route.EventType; the
//     reply's data is written back as JSON (200), no reply answers 204.
//
// Failures are RFC 7807 application/problem+json bodies (see ProblemFor):
// undecodable or invalid events answer 400 naming the field, named business
// errors 422, panics and unnamed errors 500. The handler is safe for
// concurrent use and never lets a panic escape.
func NewHTTPHandler(fn Function, opts ...Option) http.Handler {
	return newHTTPHandler(fn, buildOptions(opts))
}

type httpHandler struct {
	fn     Function
	o      options
	h      Handler
	mux    *http.ServeMux
	source string
}

func newHTTPHandler(fn Function, o options) *httpHandler {
	hh := &httpHandler{fn: fn, o: o, h: o.handler(fn), source: functionSource(fn)}
	if len(fn.Routes) > 0 {
		hh.mux = http.NewServeMux()
		for _, r := range fn.Routes {
			hh.mux.Handle(routePattern(r), hh.route(r))
		}
		hh.mux.HandleFunc("/", hh.serveEvents)
	}
	return hh
}

// functionSource is the CloudEvents source of events the adapters create.
func functionSource(fn Function) string {
	if fn.Name == "" {
		return "/cogniforge/functions"
	}
	return "/cogniforge/functions/" + fn.Name
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if rec := recover(); rec != nil {
			writeProblem(w, ProblemFor(panicError(r.Context(), h.o.logger, rec)))
		}
	}()
	if h.mux != nil {
		h.mux.ServeHTTP(w, r)
		return
	}
	h.serveEvents(w, r)
}

func (h *httpHandler) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		p := ProblemFor(&Error{Name: ErrUnsupported, Message: "CloudEvents are POSTed; got " + r.Method})
		p.Status, p.Title = http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed)
		writeProblem(w, p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.o.maxBody)
	if cehttp.IsHTTPBatch(r.Header) {
		h.serveBatch(w, r)
		return
	}
	ev, err := DecodeHTTPEvent(r)
	if err != nil {
		p := ProblemFor(err)
		if ev != nil {
			p.EventID = ev.ID()
		}
		writeProblem(w, p)
		return
	}
	// An instrumented HTTP client sends W3C headers, not ce-traceparent;
	// the event's own extensions win (the Tracing middleware reads them).
	tc := telemetry.Headers{Baggage: r.Header.Get("Baggage")}
	if _, ok := ev.Extensions()[telemetry.TraceParent]; !ok {
		tc.TraceParent, tc.TraceState = r.Header.Get("Traceparent"), r.Header.Get("Tracestate")
	}
	ctx := tc.Context(r.Context())
	reply, err := h.h(ctx, *ev)
	if err != nil {
		p := ProblemFor(err)
		p.EventID = ev.ID()
		writeProblem(w, p)
		return
	}
	if reply == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if isStructured(r.Header.Get("Content-Type")) {
		writeStructured(w, reply, http.StatusOK)
		return
	}
	writeBinary(w, reply, http.StatusOK)
}

// DecodeHTTPEvent reads one CloudEvent, in structured or binary mode, from
// r and validates it: the decoding every CogniForge HTTP endpoint shares.
// A failure is a CogniForge.InvalidEvent *Error naming the offending
// attribute (see FieldError); when the event decoded but is invalid, it is
// returned too, so callers can report its ID. Bound the body first with
// http.MaxBytesReader: the error then names the limit instead of the event
// being cut short.
func DecodeHTTPEvent(r *http.Request) (*cloudevents.Event, error) {
	ev, err := cehttp.NewEventFromHTTPRequest(r)
	if err != nil {
		return nil, decodeError(err)
	}
	if err := ev.Validate(); err != nil {
		return ev, invalidEvent(err)
	}
	return ev, nil
}

// decodeError names what made a request undecodable.
func decodeError(err error) *Error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return invalid("body", fmt.Errorf("larger than %d bytes", tooBig.Limit))
	case errors.Is(err, binding.ErrUnknownEncoding):
		return invalid("specversion", errors.New("not a CloudEvent: no ce-specversion header and the content type is not "+ContentTypeStructured))
	}
	// sdk-go prefixes attribute errors with the attribute name.
	msg := err.Error()
	for _, f := range []string{"specversion", "datacontenttype", "dataschema", "data_base64", "data", "time", "type", "source", "subject", "id"} {
		if strings.HasPrefix(msg, f+":") {
			return invalid(f, err)
		}
	}
	// Messages that name the attribute's type rather than the attribute.
	for hint, f := range map[string]string{"time.Time": "time", "for time:": "time", "base64": "data_base64"} {
		if strings.Contains(msg, hint) {
			return invalid(f, err)
		}
	}
	return invalid("body", err)
}

func isStructured(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == ContentTypeStructured
}

// writeBinary writes ev in binary mode: attributes as ce-* headers, data as body.
func writeBinary(w http.ResponseWriter, ev *cloudevents.Event, status int) {
	hd := w.Header()
	set := func(k, v string) {
		if v != "" {
			hd[k] = []string{v}
		}
	}
	set("Ce-Specversion", ev.SpecVersion())
	set("Ce-Id", ev.ID())
	set("Ce-Source", ev.Source())
	set("Ce-Type", ev.Type())
	set("Ce-Subject", ev.Subject())
	set("Ce-Dataschema", ev.DataSchema())
	if t := ev.Time(); !t.IsZero() {
		set("Ce-Time", t.UTC().Format(time.RFC3339Nano))
	}
	for k, v := range ev.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			continue
		}
		set(textproto.CanonicalMIMEHeaderKey("ce-"+k), s)
	}
	data := ev.Data()
	ct := ev.DataContentType()
	if ct == "" && len(data) > 0 {
		ct = ContentTypeJSON
	}
	set("Content-Type", ct)
	hd["Content-Length"] = []string{strconv.Itoa(len(data))}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeStructured(w http.ResponseWriter, ev *cloudevents.Event, status int) {
	b, err := json.Marshal(ev)
	if err != nil {
		writeProblem(w, ProblemFor(&Error{Name: ErrInvalidEvent, Message: "reply event cannot be encoded: " + err.Error(), Err: err}))
		return
	}
	hd := w.Header()
	hd["Content-Type"] = []string{ContentTypeStructured}
	hd["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// BatchResult is the outcome of one event of an HTTP batch.
type BatchResult struct {
	ID      string          `json:"id"`
	Status  int             `json:"status"`
	Event   json.RawMessage `json:"event,omitempty"`
	Problem *Problem        `json:"problem,omitempty"`
}

func (h *httpHandler) serveBatch(w http.ResponseWriter, r *http.Request) {
	evs, err := cehttp.NewEventsFromHTTPRequest(r)
	if err != nil {
		writeProblem(w, ProblemFor(decodeError(err)))
		return
	}
	pre := make([]error, len(evs))
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			pre[i] = invalidEvent(err)
		}
	}
	results := runBatch(r.Context(), h.fn, h.o, h.h, evs, pre)
	out := struct {
		Results []BatchResult `json:"results"`
	}{Results: make([]BatchResult, len(evs))}
	status := http.StatusOK
	for i, res := range results {
		br := BatchResult{ID: evs[i].ID(), Status: http.StatusAccepted}
		switch {
		case res.Err != nil:
			p := ProblemFor(res.Err)
			p.EventID = br.ID
			br.Status, br.Problem = p.Status, &p
			status = http.StatusMultiStatus
		case res.Event != nil:
			b, err := json.Marshal(res.Event)
			if err != nil {
				p := ProblemFor(&Error{Name: ErrInvalidEvent, Message: "reply event cannot be encoded: " + err.Error()})
				br.Status, br.Problem = p.Status, &p
				status = http.StatusMultiStatus
				break
			}
			br.Status, br.Event = http.StatusOK, b
		}
		out.Results[i] = br
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeProblem(w, ProblemFor(err))
		return
	}
	w.Header()["Content-Type"] = []string{ContentTypeJSON}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// route serves one plain JSON route.
func (h *httpHandler) route(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.maxBody))
		if err != nil {
			writeProblem(w, ProblemFor(decodeError(err)))
			return
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 {
			q := map[string]string{}
			for k, v := range r.URL.Query() {
				if len(v) > 0 {
					q[k] = v[0]
				}
			}
			body, _ = json.Marshal(q)
		} else if !json.Valid(body) {
			writeProblem(w, ProblemFor(invalid("body", errors.New("not valid JSON"))))
			return
		}
		ev := cloudevents.NewEvent()
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			id = uuid.NewString()
		}
		ev.SetID(id)
		ev.SetSource(h.source)
		ev.SetType(rt.EventType)
		ev.SetTime(time.Now())
		ev.SetSubject(r.URL.Path)
		ev.SetDataContentType(ContentTypeJSON)
		ev.DataEncoded = body
		if c := r.Header.Get("X-Correlation-Id"); c != "" {
			ev.SetExtension(CorrelationExtension, c)
		}
		ctx := telemetry.Headers{
			TraceParent: r.Header.Get("Traceparent"), TraceState: r.Header.Get("Tracestate"), Baggage: r.Header.Get("Baggage"),
		}.Context(r.Context())
		telemetry.InjectEvent(ctx, &ev)
		if err := ev.Validate(); err != nil {
			writeProblem(w, ProblemFor(invalidEvent(err)))
			return
		}
		reply, err := h.h(ctx, ev)
		if err != nil {
			p := ProblemFor(err)
			p.EventID = ev.ID()
			writeProblem(w, p)
			return
		}
		if reply == nil || len(reply.Data()) == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if p, _ := telemetry.EventTraceparent(*reply); p != "" {
			w.Header().Set("Traceparent", p)
		}
		w.Header()["Content-Type"] = []string{ContentTypeJSON}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(reply.Data())
	})
}

// runBatch handles evs (pre[i] non-nil marks an event that already failed
// decoding) with fn.Batch when set, else h per event. It never panics.
func runBatch(ctx context.Context, fn Function, o options, h Handler, evs []cloudevents.Event, pre []error) []Result {
	results := make([]Result, len(evs))
	if fn.Batch == nil {
		for i := range evs {
			if pre[i] != nil {
				results[i].Err = pre[i]
				continue
			}
			results[i].Event, results[i].Err = h(ctx, evs[i])
		}
		return results
	}
	// Batch path: per-event checks first, then one call with the rest.
	var check Handler = func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	if o.validator != nil && !o.noDefaults {
		check = Validate(o.validator)(check)
	}
	if len(fn.Consumes) > 0 {
		check = Accept(fn.Consumes...)(check)
	}
	idx := make([]int, 0, len(evs))
	valid := make([]cloudevents.Event, 0, len(evs))
	for i := range evs {
		if pre[i] == nil {
			_, pre[i] = check(ctx, evs[i])
		}
		if pre[i] != nil {
			results[i].Err = pre[i]
			continue
		}
		idx = append(idx, i)
		valid = append(valid, evs[i])
	}
	if len(valid) == 0 {
		return results
	}
	if o.tracerProvider != nil && !o.noDefaults {
		var span trace.Span
		ctx, span = startBatchSpan(ctx, o.tracerProvider, valid)
		defer span.End()
	}
	out, err := callBatch(ctx, fn.Batch, o, valid)
	for j := range out {
		if out[j].Event != nil && err == nil {
			telemetry.InjectEvent(ctx, out[j].Event)
		}
	}
	for j, i := range idx {
		if err != nil {
			results[i].Err = err
			continue
		}
		results[i] = out[j]
	}
	for i := range results {
		if results[i].Err != nil {
			o.logger.LogAttrs(telemetry.WithIDs(ctx, evs[i].ID(), CorrelationID(evs[i])), levelFor(results[i].Err), "event failed",
				slogString("type", evs[i].Type()), slogString("errorType", ErrorName(results[i].Err)), slogString("error", results[i].Err.Error()))
		}
	}
	return results
}

func callBatch(ctx context.Context, b BatchHandler, o options, evs []cloudevents.Event) (out []Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, panicError(ctx, o.logger, r)
		}
	}()
	out = b(ctx, evs)
	if len(out) != len(evs) {
		return nil, &Error{Name: ErrPanic, Message: fmt.Sprintf("batch handler returned %d results for %d events", len(out), len(evs))}
	}
	return out, nil
}
