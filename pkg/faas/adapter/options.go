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
	"os"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/middleware"
	"github.com/cogniforge/cogniforge/pkg/telemetry"
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

// RunBatch handles evs (pre[i] non-nil marks an event that already failed
// decoding) with fn.Batch when set, else h per event. It never panics.
func RunBatch(ctx context.Context, fn faas.Function, o Options, h faas.Handler, evs []cloudevents.Event, pre []error) []faas.Result {
	results := make([]faas.Result, len(evs))
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
	var check faas.Handler = func(context.Context, cloudevents.Event) (*cloudevents.Event, error) { return nil, nil }
	if o.Validator != nil && !o.NoDefaults {
		check = middleware.Validate(o.Validator)(check)
	}
	if len(fn.Consumes) > 0 {
		check = middleware.Accept(fn.Consumes...)(check)
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
	if o.TracerProvider != nil && !o.NoDefaults {
		var span trace.Span
		ctx, span = middleware.StartBatchSpan(ctx, o.TracerProvider, valid)
		defer span.End()
	}
	out, err := CallBatch(ctx, fn.Batch, o, valid)
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
			o.Logger.LogAttrs(telemetry.WithIDs(ctx, evs[i].ID(), faas.CorrelationID(evs[i])), middleware.LevelFor(results[i].Err), "event failed",
				slog.String("type", evs[i].Type()), slog.String("errorType", faas.ErrorName(results[i].Err)), slog.String("error", results[i].Err.Error()))
		}
	}
	return results
}

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
