package faas

import (
	"context"
	"log/slog"
	"os"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"go.opentelemetry.io/otel/trace"
)

// Validator checks an event against its schema (pkg/events' Catalog is one).
// Errors that implement FieldName() string name the offending field in HTTP
// problems.
type Validator interface {
	Validate(cloudevents.Event) error
}

// Flusher exports buffered telemetry; the Lambda adapter calls it after every
// invocation (telemetry.Telemetry is one).
type Flusher interface {
	ForceFlush(context.Context) error
}

// Option tunes an adapter (NewHTTPHandler, NewInvoker, Start) or Defaults.
type Option func(*options)

type options struct {
	logger         *slog.Logger
	validator      Validator
	tracerProvider trace.TracerProvider
	flusher        Flusher
	extra          []Middleware
	noDefaults     bool
	maxBody        int64
	timeoutMargin  time.Duration
}

// DefaultMaxBodyBytes caps request bodies: the Lambda synchronous payload limit.
const DefaultMaxBodyBytes = 6 << 20

func buildOptions(opts []Option) options {
	o := options{maxBody: DefaultMaxBodyBytes, timeoutMargin: DefaultTimeoutMargin}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return o
}

// WithLogger sets the logger of the Logging and Recover middleware and of the
// adapters. Nil (the default) means JSON to stderr at Info.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithValidator turns on schema validation of every incoming event (the
// Validate middleware). Nil (the default) validates CloudEvents attributes only.
func WithValidator(v Validator) Option { return func(o *options) { o.validator = v } }

// WithTracerProvider turns on a span per event (the Tracing middleware) and,
// on Lambda, a span per invocation. Nil (the default) means no tracing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// WithFlusher sets what the Lambda adapter flushes after every invocation.
func WithFlusher(f Flusher) Option { return func(o *options) { o.flusher = f } }

// WithMiddleware appends middleware inside the default chain, closest to the
// handler, in order (idempotency, chaos...).
func WithMiddleware(mws ...Middleware) Option {
	return func(o *options) { o.extra = append(o.extra, mws...) }
}

// WithoutDefaults drops the default chain; only WithMiddleware's remain.
func WithoutDefaults() Option { return func(o *options) { o.noDefaults = true } }

// WithMaxBodyBytes caps HTTP request bodies. Zero or less keeps
// DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBody = n
		}
	}
}

// WithTimeoutMargin sets how long before the invocation deadline the Timeout
// middleware cancels the handler. Negative values keep DefaultTimeoutMargin.
func WithTimeoutMargin(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.timeoutMargin = d
		}
	}
}

// Defaults is the standard middleware chain, outermost first:
// Tracing, Logging, Recover, Timeout, Validate, then WithMiddleware's.
// Middleware whose option is unset (no tracer provider, no validator) is left
// out, so it costs nothing.
func Defaults(opts ...Option) []Middleware {
	o := buildOptions(opts)
	return o.chain()
}

func (o options) chain() []Middleware {
	var mws []Middleware
	if !o.noDefaults {
		if o.tracerProvider != nil {
			mws = append(mws, Tracing(o.tracerProvider))
		}
		mws = append(mws, Logging(o.logger), Recover(o.logger), Timeout(o.timeoutMargin))
		if o.validator != nil {
			mws = append(mws, Validate(o.validator))
		}
	}
	return append(mws, o.extra...)
}

// handler composes fn's handler with the chain and a last-resort recover.
func (o options) handler(fn Function) Handler {
	h := fn.Handler
	if h == nil {
		h = func(context.Context, cloudevents.Event) (*cloudevents.Event, error) {
			return nil, &Error{Name: ErrUnsupported, Message: "function " + fn.Name + " has no handler"}
		}
	}
	mws := o.chain()
	if len(fn.Consumes) > 0 {
		mws = append(mws, Accept(fn.Consumes...))
	}
	return Chain(h, mws...)
}
