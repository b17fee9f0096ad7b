// Package cehttp serves a faas.Function over the CloudEvents HTTP binding
// (binary, structured and batch modes) plus the plain JSON routes a function
// declares: the adapter for Knative and any CloudEvents HTTP host, for the
// Functions Framework (faas/gcf) and for the local runtime.
package cehttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	sdkhttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Content types of the CloudEvents HTTP binding.
const (
	ContentTypeStructured = "application/cloudevents+json"
	ContentTypeBatch      = "application/cloudevents-batch+json"
	ContentTypeJSON       = "application/json"
)

// NewHandler serves fn over the CloudEvents HTTP binding:
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
func NewHandler(fn faas.Function, opts ...adapter.Option) http.Handler {
	o := adapter.Build(opts)
	return o.WrapHTTP(newHandler(fn, o))
}

type handler struct {
	fn     faas.Function
	o      adapter.Options
	h      faas.Handler
	mux    *http.ServeMux
	source string
}

func newHandler(fn faas.Function, o adapter.Options) *handler {
	hh := &handler{fn: fn, o: o, h: o.Handler(fn), source: FunctionSource(fn)}
	if len(fn.Routes) > 0 {
		hh.mux = http.NewServeMux()
		for _, r := range fn.Routes {
			hh.mux.Handle(faas.RoutePattern(r), hh.route(r))
		}
		hh.mux.HandleFunc("/", hh.serveEvents)
	}
	return hh
}

// FunctionSource is the CloudEvents source of events the adapters create.
func FunctionSource(fn faas.Function) string {
	if fn.Name == "" {
		return "/cogniforge/functions"
	}
	return "/cogniforge/functions/" + fn.Name
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if rec := recover(); rec != nil {
			faas.WriteProblem(w, faas.ProblemFor(middleware.PanicError(r.Context(), h.o.Logger, rec)))
		}
	}()
	if h.fn.Protected && h.o.Authorize != nil {
		if err := h.o.Authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cogniforge"`)
			faas.WriteProblem(w, faas.Problem{Type: "urn:cogniforge:error:Unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: err.Error(), ErrorType: "Unauthorized"})
			return
		}
	}
	if h.mux != nil {
		h.mux.ServeHTTP(w, r)
		return
	}
	h.serveEvents(w, r)
}

func (h *handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		p := faas.ProblemFor(&faas.Error{Name: faas.ErrUnsupported, Message: "CloudEvents are POSTed; got " + r.Method})
		p.Status, p.Title = http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed)
		faas.WriteProblem(w, p)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.o.MaxBody)
	if sdkhttp.IsHTTPBatch(r.Header) {
		h.serveBatch(w, r)
		return
	}
	ev, err := DecodeEvent(r)
	if err != nil {
		p := faas.ProblemFor(err)
		if ev != nil {
			p.EventID = ev.ID()
		}
		faas.WriteProblem(w, p)
		return
	}
	// An instrumented HTTP client sends W3C headers, not ce-traceparent;
	// the event's own extensions win (the Tracing middleware reads them).
	tc := telemetry.Headers{Baggage: r.Header.Get("Baggage")}
	if _, ok := faas.Extension(*ev, telemetry.TraceParent); !ok {
		tc.TraceParent, tc.TraceState = r.Header.Get("Traceparent"), r.Header.Get("Tracestate")
	}
	ctx := tc.Context(r.Context())
	reply, err := h.h(ctx, *ev)
	if err != nil {
		p := faas.ProblemFor(err)
		p.EventID = ev.ID()
		faas.WriteProblem(w, p)
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

// DecodeEvent reads one CloudEvent, in structured or binary mode, from
// r and validates it: the decoding every CogniForge HTTP endpoint shares.
// A failure is a CogniForge.InvalidEvent *Error naming the offending
// attribute (see FieldError); when the event decoded but is invalid, it is
// returned too, so callers can report its ID. Bound the body first with
// http.MaxBytesReader: the error then names the limit instead of the event
// being cut short.
func DecodeEvent(r *http.Request) (*cloudevents.Event, error) {
	ev, ok := decodeStructured(r)
	if !ok {
		var err error
		if ev, err = sdkhttp.NewEventFromHTTPRequest(r); err != nil {
			return nil, DecodeError(err)
		}
	}
	if ev.Type() == KafkaSourceEventType {
		inner, err := unwrapKafkaSource(ev)
		if err != nil {
			return ev, err
		}
		ev = inner
	}
	if certainlyValid(ev) {
		return ev, nil
	}
	if err := ev.Validate(); err != nil {
		return ev, faas.InvalidEvent(err)
	}
	return ev, nil
}

// KafkaSourceEventType is the type Knative's KafkaSource gives a record that
// is not itself a CloudEvent: the record's value is the event's data.
const KafkaSourceEventType = "dev.knative.kafka.event"

// unwrapKafkaSource returns the CloudEvent a KafkaSource event carries: the
// record's value in the structured JSON format (records in binary mode, or
// structured with a content-type header, KafkaSource delivers as the
// CloudEvents they are). Anything else is not a catalog event: an invalid
// event naming the record, which Knative retries and then dead-letters.
func unwrapKafkaSource(ev *cloudevents.Event) (*cloudevents.Event, error) {
	data := bytes.TrimSpace(ev.Data())
	if len(data) > 0 && data[0] == '{' && bytes.Contains(data, []byte(`"specversion"`)) {
		inner := cloudevents.NewEvent()
		if err := inner.UnmarshalJSON(data); err == nil {
			for _, k := range []string{telemetry.TraceParent, telemetry.TraceState, telemetry.Baggage} {
				if v, ok := ev.Extensions()[k]; ok {
					if _, has := inner.Extensions()[k]; !has {
						inner.SetExtension(k, v)
					}
				}
			}
			return &inner, nil
		}
	}
	return ev, faas.Invalid("data", fmt.Errorf("KafkaSource record %s (%s) is not a CloudEvent: its value is not a structured CloudEvent and the record had no ce_ headers", ev.Subject(), ev.Source()))
}

// certainlyValid reports whether the sdk's Validate would find nothing
// wrong with ev, for the common decoded event, without Validate's cost (two
// error maps, the source printed, the media type parsed into a map of its
// parameters). False means "not sure": Validate decides, and names the
// attribute.
func certainlyValid(ev *cloudevents.Event) bool {
	ec, ok := ev.Context.(*event.EventContextV1)
	if !ok || len(ev.FieldErrors) > 0 || ec.DataSchema != nil ||
		strings.TrimSpace(ec.ID) == "" || strings.TrimSpace(ec.Type) == "" ||
		ec.Subject != nil && strings.TrimSpace(*ec.Subject) == "" {
		return false
	}
	if ec.DataContentType != nil {
		switch *ec.DataContentType {
		case event.ApplicationJSON, event.TextPlain, event.ApplicationCloudEventsJSON:
		default:
			return false
		}
	}
	return strings.TrimSpace(ec.Source.String()) != ""
}

// maxFastBody bounds the bodies decodeStructured reads into a buffer of the
// declared length: a request must not make the server allocate much more
// than it sent.
const maxFastBody = 64 << 10

// decodeStructured decodes the common structured-mode request (content
// type exactly application/cloudevents+json, a Content-Length, a JSON
// object) as the sdk does, with its own event reader, but without its
// costs: the sdk copies the body into a buffer grown from 512 bytes, then
// encoding/json checks it, scans it again to find the object, and hands it
// to the same reader. Here the body is read into a buffer of its declared
// length and checked once. Anything else, and any failure, is handed back
// (false) with the body as it was, so the sdk decodes it and its error
// names the failure exactly as before.
func decodeStructured(r *http.Request) (*cloudevents.Event, bool) {
	if r.ContentLength <= 0 || r.ContentLength > maxFastBody || r.Body == nil {
		return nil, false
	}
	if ct := r.Header["Content-Type"]; len(ct) != 1 || ct[0] != ContentTypeStructured {
		return nil, false
	}
	body := make([]byte, r.ContentLength)
	n, err := io.ReadFull(r.Body, body)
	if err == nil {
		if doc := bytes.TrimSpace(body); len(doc) > 0 && doc[0] == '{' && json.Valid(doc) {
			ev := cloudevents.NewEvent()
			if ev.UnmarshalJSON(doc) == nil {
				return &ev, true
			}
		}
	}
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(body[:n]), r.Body), Closer: r.Body}
	return nil, false
}

// replayBody is a request body whose first bytes were read already.
type replayBody struct {
	io.Reader
	io.Closer
}

// DecodeError names what made a request undecodable.
func DecodeError(err error) *faas.Error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return faas.Invalid("body", fmt.Errorf("larger than %d bytes", tooBig.Limit))
	case errors.Is(err, binding.ErrUnknownEncoding):
		return faas.Invalid("specversion", errors.New("not a CloudEvent: no ce-specversion header and the content type is not "+ContentTypeStructured))
	}
	// sdk-go prefixes attribute errors with the attribute name.
	msg := err.Error()
	for _, f := range []string{"specversion", "datacontenttype", "dataschema", "data_base64", "data", "time", "type", "source", "subject", "id"} {
		if strings.HasPrefix(msg, f+":") {
			return faas.Invalid(f, err)
		}
	}
	// Messages that name the attribute's type rather than the attribute.
	for hint, f := range map[string]string{"time.Time": "time", "for time:": "time", "base64": "data_base64"} {
		if strings.Contains(msg, hint) {
			return faas.Invalid(f, err)
		}
	}
	return faas.Invalid("body", err)
}

func isStructured(ct string) bool {
	switch ct {
	case "":
		return false
	case ContentTypeStructured:
		return true // as producers send it: no media type parameters to parse
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

// writeStructured writes ev as a structured-mode event into a pooled
// buffer, with appendStructured or, for the events it does not cover, the
// sdk's writer: json.Marshal would call that writer through reflection
// into a buffer of its own and then copy the result again to compact it,
// two thirds of the cost of the answer. What that copy checked is checked
// here: the data the writer copies as is must be JSON.
func writeStructured(w http.ResponseWriter, ev *cloudevents.Event, status int) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer putBuf(buf)
	buf.Reset()
	err := rawDataIsJSON(ev)
	if err == nil {
		if b, ok := appendStructured(buf.AvailableBuffer(), ev); ok {
			buf.Write(b)
		} else {
			err = event.WriteJson(ev, buf)
		}
	}
	if err != nil {
		faas.WriteProblem(w, faas.ProblemFor(&faas.Error{Name: faas.ErrInvalidEvent, Message: "reply event cannot be encoded: " + err.Error(), Err: err}))
		return
	}
	hd := w.Header()
	hd["Content-Type"] = []string{ContentTypeStructured}
	hd["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// rawDataIsJSON refuses an event whose data event.WriteJson would copy into
// the JSON document as is (data of a JSON media type, not base64) when that
// data is not JSON; other data the writer encodes as a string.
func rawDataIsJSON(ev *cloudevents.Event) error {
	if ev.DataEncoded == nil || ev.DataBase64 {
		return nil
	}
	mt, _, _ := strings.Cut(ev.DataContentType(), ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "", event.ApplicationJSON, event.TextJSON, event.ApplicationCloudEventsJSON, event.ApplicationCloudEventsBatchJSON:
		if !json.Valid(ev.DataEncoded) {
			return errors.New("data of a JSON media type is not valid JSON")
		}
	}
	return nil
}

// bufPool holds the buffers replies are encoded in.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf bounds the buffers kept: one large reply must not pin its
// buffer for the life of the process.
const maxPooledBuf = 64 << 10

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuf {
		bufPool.Put(b)
	}
}

// BatchResult is the outcome of one event of an HTTP batch.
type BatchResult struct {
	ID      string          `json:"id"`
	Status  int             `json:"status"`
	Event   json.RawMessage `json:"event,omitempty"`
	Problem *faas.Problem   `json:"problem,omitempty"`
}

func (h *handler) serveBatch(w http.ResponseWriter, r *http.Request) {
	evs, err := sdkhttp.NewEventsFromHTTPRequest(r)
	if err != nil {
		faas.WriteProblem(w, faas.ProblemFor(DecodeError(err)))
		return
	}
	pre := make([]error, len(evs))
	for i := range evs {
		if err := evs[i].Validate(); err != nil {
			pre[i] = faas.InvalidEvent(err)
		}
	}
	results := adapter.RunBatch(r.Context(), h.fn, h.o, h.h, evs, pre)
	out := struct {
		Results []BatchResult `json:"results"`
	}{Results: make([]BatchResult, len(evs))}
	status := http.StatusOK
	for i, res := range results {
		br := BatchResult{ID: evs[i].ID(), Status: http.StatusAccepted}
		switch {
		case res.Err != nil:
			p := faas.ProblemFor(res.Err)
			p.EventID = br.ID
			br.Status, br.Problem = p.Status, &p
			status = http.StatusMultiStatus
		case res.Event != nil:
			b, err := json.Marshal(res.Event)
			if err != nil {
				p := faas.ProblemFor(&faas.Error{Name: faas.ErrInvalidEvent, Message: "reply event cannot be encoded: " + err.Error()})
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
		faas.WriteProblem(w, faas.ProblemFor(err))
		return
	}
	w.Header()["Content-Type"] = []string{ContentTypeJSON}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// route serves one plain JSON route.
func (h *handler) route(rt faas.Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
		if err != nil {
			faas.WriteProblem(w, faas.ProblemFor(DecodeError(err)))
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
			faas.WriteProblem(w, faas.ProblemFor(faas.Invalid("body", errors.New("not valid JSON"))))
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
			ev.SetExtension(faas.CorrelationExtension, c)
		}
		ctx := telemetry.Headers{
			TraceParent: r.Header.Get("Traceparent"), TraceState: r.Header.Get("Tracestate"), Baggage: r.Header.Get("Baggage"),
		}.Context(r.Context())
		telemetry.InjectEvent(ctx, &ev)
		if err := ev.Validate(); err != nil {
			faas.WriteProblem(w, faas.ProblemFor(faas.InvalidEvent(err)))
			return
		}
		reply, err := h.h(ctx, ev)
		if err != nil {
			p := faas.ProblemFor(err)
			p.EventID = ev.ID()
			faas.WriteProblem(w, p)
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

// ShutdownTimeout bounds the graceful shutdown of the HTTP server Start runs.
const ShutdownTimeout = 10 * time.Second

// Serve serves h on ln until ctx ends, then shuts down gracefully (at most
// ShutdownTimeout) and returns nil; it returns the server's error if serving fails.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("faas: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("faas: shutdown: %w", err)
	}
	return nil
}

// Compose builds the HTTP handler of fn from options already built, and
// returns with it the chained event handler it uses, so another adapter (the
// Lambda function URL path) serves HTTP and events through one chain.
func Compose(fn faas.Function, o adapter.Options) (http.Handler, faas.Handler) {
	hh := newHandler(fn, o)
	return o.WrapHTTP(hh), hh.h
}
