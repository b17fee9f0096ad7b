// Package adapter is what every platform adapter of a faas.Function shares:
// the options (logger, validator, tracer, flusher, extra middleware, limits),
// the default middleware chain, and running a batch of events through that
// same chain. The platform packages (faas/lambda, faas/gcf, faas/cehttp) build
// on it; function code never imports it.
package adapter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"go.opentelemetry.io/otel/trace"
)

// Flusher exports buffered telemetry; the Lambda adapter calls it after every
// invocation (telemetry.Telemetry is one).
type Flusher interface {
	ForceFlush(context.Context) error
}

// Option tunes an adapter (NewHTTPHandler, NewInvoker, Start) or Defaults.
type Option func(*Options)

// Options are the settings every platform adapter shares, built from
// Option values by Build; the zero value of a field is documented at its
// With function.
type Options struct {
	Logger         *slog.Logger
	Validator      middleware.Validator
	TracerProvider trace.TracerProvider
	Flusher        Flusher
	Extra          []faas.Middleware
	NoDefaults     bool
	MaxBody        int64
	TimeoutMargin  time.Duration
	// Authorize checks the HTTP requests to a Protected function; nil lets
	// every request through (on AWS, IAM on the function URL checks them
	// before the function runs).
	Authorize func(r *http.Request) error
	// HTTP wraps the HTTP handler the adapters serve, outermost first
	// (API lifecycle, rate limits): it sees every request, events and JSON
	// routes alike, before the Protected check.
	HTTP []func(http.Handler) http.Handler
}

// WithHTTPMiddleware appends HTTP middleware around the adapters' HTTP
// handler (the function URL, Functions Framework and CloudEvents HTTP
// paths), outermost first. Events from queues, schedules and the bus do not
// pass through it.
func WithHTTPMiddleware(mws ...func(http.Handler) http.Handler) Option {
	return func(o *Options) { o.HTTP = append(o.HTTP, mws...) }
}

// WrapHTTP applies the HTTP middleware of o around h.
func (o Options) WrapHTTP(h http.Handler) http.Handler {
	for i := len(o.HTTP) - 1; i >= 0; i-- {
		if o.HTTP[i] != nil {
			h = o.HTTP[i](h)
		}
	}
	return h
}

// WithAuthorizer makes the HTTP adapters refuse, with 401, every request
// to a Protected function that authorize refuses (the local runtime's
// bearer token).
func WithAuthorizer(authorize func(r *http.Request) error) Option {
	return func(o *Options) { o.Authorize = authorize }
}

// DefaultMaxBodyBytes caps request bodies: the Lambda synchronous payload limit.
const DefaultMaxBodyBytes = 6 << 20

// Build applies opts over the defaults (a JSON logger to stderr, the Lambda
// payload limit as body cap, DefaultTimeoutMargin).
func Build(opts []Option) Options {
	o := Options{MaxBody: DefaultMaxBodyBytes, TimeoutMargin: middleware.DefaultTimeoutMargin}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return o
}

// WithLogger sets the logger of the Logging and Recover middleware and of the
// adapters. Nil (the default) means JSON to stderr at Info.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithValidator turns on schema validation of every incoming event (the
// Validate middleware). Nil (the default) validates CloudEvents attributes only.
func WithValidator(v middleware.Validator) Option { return func(o *Options) { o.Validator = v } }

// WithTracerProvider turns on a span per event (the Tracing middleware) and,
// on Lambda, a span per invocation. Nil (the default) means no tracing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *Options) { o.TracerProvider = tp }
}

// WithFlusher sets what the Lambda adapter flushes after every invocation.
func WithFlusher(f Flusher) Option { return func(o *Options) { o.Flusher = f } }

// WithMiddleware appends middleware inside the default chain, closest to the
// handler, in order (idempotency, chaos...).
func WithMiddleware(mws ...faas.Middleware) Option {
	return func(o *Options) { o.Extra = append(o.Extra, mws...) }
}

// WithoutDefaults drops the default chain; only WithMiddleware's remain.
func WithoutDefaults() Option { return func(o *Options) { o.NoDefaults = true } }

// WithMaxBodyBytes caps HTTP request bodies. Zero or less keeps
// DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return func(o *Options) {
		if n > 0 {
			o.MaxBody = n
		}
	}
}

// WithTimeoutMargin sets how long before the invocation deadline the Timeout
// middleware cancels the handler. Negative values keep DefaultTimeoutMargin.
func WithTimeoutMargin(d time.Duration) Option {
	return func(o *Options) {
		if d >= 0 {
			o.TimeoutMargin = d
		}
	}
}

// Defaults is the standard middleware chain, outermost first:
// Tracing, Logging, Recover, Timeout, Validate, then WithMiddleware's.
// Middleware whose option is unset (no tracer provider, no validator) is left
// out, so it costs nothing.
func Defaults(opts ...Option) []faas.Middleware {
	o := Build(opts)
	return o.Chain()
}

// Chain is the middleware of these options, outermost first (see Defaults).
func (o Options) Chain() []faas.Middleware {
	var mws []faas.Middleware
	if !o.NoDefaults {
		if o.TracerProvider != nil {
			mws = append(mws, middleware.Tracing(o.TracerProvider))
		}
		mws = append(mws, middleware.Logging(o.Logger), middleware.Recover(o.Logger), middleware.Timeout(o.TimeoutMargin))
		if o.Validator != nil {
			mws = append(mws, middleware.Validate(o.Validator))
		}
	}
	return append(mws, o.Extra...)
}

// Handler composes fn's handler with the chain, and Accept when fn
// declares the types it consumes.
func (o Options) Handler(fn faas.Function) faas.Handler {
	h := fn.Handler
	if h == nil {
		h = func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			return nil, &faas.Error{Name: faas.ErrUnsupported, Message: "function " + fn.Name + " has no handler"}
		}
	}
	mws := o.Chain()
	if len(fn.Consumes) > 0 {
		mws = append(mws, middleware.Accept(fn.Consumes...))
	}
	return faas.Chain(h, mws...)
}

// CallBatch calls b with evs, turning a panic or a wrong number of results
// into a CogniForge.Panic error for the whole batch.
func CallBatch(ctx context.Context, b faas.BatchHandler, o Options, evs []cloudevents.Event) (out []faas.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, middleware.PanicError(ctx, o.Logger, r)
		}
	}()
	out = b(ctx, evs)
	if len(out) != len(evs) {
		return nil, &faas.Error{Name: faas.ErrPanic, Message: fmt.Sprintf("batch handler returned %d results for %d events", len(out), len(evs))}
	}
	return out, nil
}
