package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Clock is the time the Notifier measures backoff and expiry by; clock.Real
// and *clock.Fake satisfy it. A Fake makes Sleep return at once, moving
// virtual time, so tests of long backoffs take no time.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Status is what became of a delivery.
type Status string

// Delivery statuses, as reported in Result.Status.
const (
	// StatusDelivered: the channel accepted the message.
	StatusDelivered Status = "delivered"
	// StatusFailed: every attempt failed, or one failed for good.
	StatusFailed Status = "failed"
	// StatusDuplicate: the key was already delivered; nothing was sent.
	StatusDuplicate Status = "duplicate"
	// StatusInProgress: another delivery of the key holds the lease;
	// nothing was sent.
	StatusInProgress Status = "in_progress"
	// StatusCircuitOpen: the channel's breaker is open; nothing more was
	// sent.
	StatusCircuitOpen Status = "circuit_open"
	// StatusInvalid: the message is invalid; nothing was sent.
	StatusInvalid Status = "invalid"
)

// Result is the outcome of one Deliver, as the timeline records it.
type Result struct {
	Channel string `json:"channel"`
	Key     string `json:"key"`
	Status  Status `json:"status"`
	// Attempts is how many times the channel was called.
	Attempts int `json:"attempts"`
	// Err is the last error; nil when delivered or duplicate.
	Err error `json:"-"`
	// Error is Err's message, for the timeline's JSON.
	Error string `json:"error,omitempty"`
	// ErrorName is Err's name (Notify.Unavailable, ...).
	ErrorName string `json:"errorName,omitempty"`
	// Started and Elapsed measure the delivery on the Notifier's clock.
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"`
}

// Config configures a Notifier. Every zero value means the default named.
type Config struct {
	// Store keeps delivered markers and sending leases. Required: without
	// it a redelivered event would page twice. Use the shared store
	// (DynamoDB) so the guarantee holds across instances.
	Store store.Store
	// Partition is the store partition of the items; "notify".
	Partition string
	// Clock drives backoff waits and expiries; clock.Real.
	Clock Clock
	// Outcome, when set, receives every delivery's Result before Deliver
	// returns, with the Deliver's context values but never cancelled, so a
	// delivery cut short by its caller is still recorded.
	Outcome func(ctx context.Context, m Message, r Result)

	// MaxAttempts bounds the attempts of one delivery; 8.
	MaxAttempts int
	// MaxElapsed bounds one delivery's retrying, waits included: no wait
	// is started that would end past it; 2 minutes.
	MaxElapsed time.Duration
	// AttemptTimeout bounds each attempt (on the real clock: it is an HTTP
	// deadline); 10 seconds.
	AttemptTimeout time.Duration
	// InitialInterval is the cap of the first backoff wait; 500ms. Each
	// later cap is twice the one before, up to MaxInterval; 30 seconds.
	// The wait is drawn uniformly in [0, cap) (full jitter), so many
	// deliveries failing together do not retry together.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// Jitter returns a number in [0, 1) that scales each wait; nil means
	// math/rand/v2.Float64. Tests pass a constant.
	Jitter func() float64

	// BreakerFailures is how many consecutive failed attempts open a
	// channel's breaker; 5. Permanent refusals (4xx) do not count: the
	// endpoint answered.
	BreakerFailures uint32
	// BreakerOpenFor is how long an open breaker fails fast before letting
	// one trial attempt through (half-open: concurrent deliveries fail fast
	// meanwhile; the trial's success closes the breaker, its failure opens
	// it again); 30 seconds. gobreaker keeps this time on the wall clock.
	BreakerOpenFor time.Duration
	// Breakers, when set, returns the shared circuit breaker of a channel
	// (pkg/resilience: its state lives in the store, so one instance's
	// failures open it for every instance, and operators and chaos
	// experiments see and force it); BreakerFailures and BreakerOpenFor
	// then do not apply to that channel. A nil result, or a nil Breakers,
	// means the per-instance breaker.
	Breakers func(channel string) *resilience.Breaker

	// LeaseFor is how long a sending lease blocks concurrent deliveries of
	// the same key, and so how long after a crash a redelivery waits;
	// MaxElapsed + AttemptTimeout + 30 seconds. It must exceed
	// MaxElapsed + AttemptTimeout, or a slow delivery could lose its lease
	// while still sending.
	LeaseFor time.Duration
	// MarkerTTL is how long a delivered marker suppresses redeliveries;
	// 7 days. Redeliveries of an event come within hours; the expiry keeps
	// the table small.
	MarkerTTL time.Duration
}

// Defaults for the zero values of Config.
const (
	DefaultPartition       = "notify"
	DefaultMaxAttempts     = 8
	DefaultMaxElapsed      = 2 * time.Minute
	DefaultAttemptTimeout  = 10 * time.Second
	DefaultInitialInterval = 500 * time.Millisecond
	DefaultMaxInterval     = 30 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 30 * time.Second
	DefaultMarkerTTL       = 7 * 24 * time.Hour
)

func (c *Config) setDefaults() {
	if c.Partition == "" {
		c.Partition = DefaultPartition
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = DefaultMaxElapsed
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.InitialInterval == 0 {
		c.InitialInterval = DefaultInitialInterval
	}
	if c.MaxInterval == 0 {
		c.MaxInterval = DefaultMaxInterval
	}
	if c.Jitter == nil {
		c.Jitter = mrand.Float64
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerOpenFor == 0 {
		c.BreakerOpenFor = DefaultBreakerOpenFor
	}
	if c.LeaseFor == 0 {
		c.LeaseFor = c.MaxElapsed + c.AttemptTimeout + 30*time.Second
	}
	if c.MarkerTTL == 0 {
		c.MarkerTTL = DefaultMarkerTTL
	}
}

// Validate reports every problem of c (after defaults) at once.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("notify: Store is required (idempotency markers and leases)"))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"MaxElapsed", c.MaxElapsed}, {"AttemptTimeout", c.AttemptTimeout}, {"InitialInterval", c.InitialInterval},
		{"MaxInterval", c.MaxInterval}, {"BreakerOpenFor", c.BreakerOpenFor}, {"LeaseFor", c.LeaseFor}, {"MarkerTTL", c.MarkerTTL}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("notify: %s %s is negative", d.name, d.v))
		}
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("notify: MaxAttempts %d is negative", c.MaxAttempts))
	}
	if c.MaxInterval < c.InitialInterval {
		errs = append(errs, fmt.Errorf("notify: MaxInterval %s is below InitialInterval %s", c.MaxInterval, c.InitialInterval))
	}
	if c.LeaseFor > 0 && c.LeaseFor <= c.MaxElapsed+c.AttemptTimeout {
		errs = append(errs, fmt.Errorf("notify: LeaseFor %s must exceed MaxElapsed + AttemptTimeout (%s), or a slow delivery loses its lease while sending",
			c.LeaseFor, c.MaxElapsed+c.AttemptTimeout))
	}
	return errors.Join(errs...)
}

// Notifier delivers messages on channels with retries, a breaker per
// channel and idempotency. It is safe for concurrent use.
type Notifier struct {
	cfg Config

	mu       sync.Mutex
	breakers map[string]*gobreaker.CircuitBreaker[struct{}]
}

// New returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Notifier{cfg: cfg, breakers: make(map[string]*gobreaker.CircuitBreaker[struct{}])}, nil
}

// errCallerGone marks an attempt cut short by the caller's context, which
// says nothing about the channel's health.
var errCallerGone = errors.New("notify: caller's context done")

func (n *Notifier) breaker(name string) *gobreaker.CircuitBreaker[struct{}] {
	n.mu.Lock()
	defer n.mu.Unlock()
	cb := n.breakers[name]
	if cb == nil {
		failures := n.cfg.BreakerFailures
		cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        name,
			MaxRequests: 1,
			Timeout:     n.cfg.BreakerOpenFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
			// A permanent refusal is an answer from a live endpoint, and an
			// attempt the caller abandoned proves nothing: neither counts.
			IsExcluded: func(err error) bool {
				return errors.Is(err, errCallerGone) || (err != nil && !Retryable(err))
			},
		})
		n.breakers[name] = cb
	}
	return cb
}

// BreakerState returns the state of the named channel's breaker: "closed",
// "half-open" or "open" (closed for a channel never used).
func (n *Notifier) BreakerState(channel string) string {
	return n.breaker(channel).State().String()
}

// Deliver sends m on ch at most once per (ch.Name(), m.Key), retrying
// transient failures. The Result is also passed to Config.Outcome. The
// error is nil when delivered or a duplicate; otherwise it is an *Error
// (match with errors.Is: ErrCircuitOpen, ErrInProgress, ErrInvalidMessage,
// ErrRejected, ErrUnavailable, ErrStore) or ctx's error.
func (n *Notifier) Deliver(ctx context.Context, ch Channel, m Message) (Result, error) {
	r := Result{Channel: ch.Name(), Key: m.Key, Started: n.cfg.Clock.Now()}
	err := n.deliver(ctx, ch, m, &r)
	r.Elapsed = n.cfg.Clock.Now().Sub(r.Started)
	if err != nil {
		r.Err, r.Error = err, err.Error()
		var e *Error
		if errors.As(err, &e) {
			r.ErrorName = e.Name
		}
	}
	if n.cfg.Outcome != nil {
		// The outcome of a delivery its caller abandoned still belongs in
		// the timeline: the callback gets ctx's values without its end.
		n.cfg.Outcome(context.WithoutCancel(ctx), m, r)
	}
	return r, err
}

func (n *Notifier) deliver(ctx context.Context, ch Channel, m Message, r *Result) error {
	name := ch.Name()
	if err := m.Validate(); err != nil {
		r.Status = StatusInvalid
		e := err.(*Error)
		e.Channel = name
		return e
	}
	if name == "" {
		r.Status = StatusInvalid
		return &Error{Name: NameInvalidMessage, Err: errors.New("channel has no name")}
	}
	// The name is escaped so "#" in it cannot make two (name, key) pairs
	// share an item.
	escName := strings.NewReplacer("%", "%25", "#", "%23").Replace(name)
	marker := store.Key{Partition: n.cfg.Partition, Sort: "sent#" + escName + "#" + m.Key}
	leaseKey := store.Key{Partition: n.cfg.Partition, Sort: "lease#" + escName + "#" + m.Key}

	if done, err := n.delivered(ctx, marker); err != nil {
		r.Status = StatusFailed
		err.(*Error).Channel = name
		return err
	} else if done {
		r.Status = StatusDuplicate
		return nil
	}
	lease, err := n.takeLease(ctx, leaseKey)
	if errors.Is(err, store.ErrConditionFailed) {
		// Someone else is sending, or has just finished.
		if done, derr := n.delivered(ctx, marker); derr == nil && done {
			r.Status = StatusDuplicate
			return nil
		}
		r.Status = StatusInProgress
		return &Error{Name: NameInProgress, Channel: name, Retryable: true, Err: errors.New("another delivery of this key is sending")}
	}
	if err != nil {
		r.Status = StatusFailed
		return &Error{Name: NameStore, Channel: name, Retryable: true, Err: err}
	}
	// The holder before us may have written its marker and released the
	// lease between our first check and our lease.
	if done, err := n.delivered(ctx, marker); err != nil || done {
		n.release(leaseKey, lease)
		if err != nil {
			r.Status = StatusFailed
			err.(*Error).Channel = name
			return err
		}
		r.Status = StatusDuplicate
		return nil
	}

	sendErr := n.sendWithRetry(ctx, ch, m, r)
	if sendErr != nil {
		n.release(leaseKey, lease)
		if errors.Is(sendErr, ErrCircuitOpen) {
			r.Status = StatusCircuitOpen
		} else {
			r.Status = StatusFailed
		}
		return sendErr
	}
	r.Status = StatusDelivered
	// At-least-once window: the channel has the message, the marker is not
	// written yet. If this write fails the lease still blocks redeliveries
	// until it expires.
	_, err = n.cfg.Store.Put(context.WithoutCancel(ctx), store.Item{Key: marker, Value: []byte(n.cfg.Clock.Now().UTC().Format(time.RFC3339Nano)),
		ExpiresAt: n.cfg.Clock.Now().Add(n.cfg.MarkerTTL)}, store.Condition{IfAbsent: true})
	if err != nil && !errors.Is(err, store.ErrConditionFailed) {
		// Delivered all the same; keep the lease so a redelivery within
		// LeaseFor is still blocked.
		return nil
	}
	n.release(leaseKey, lease)
	return nil
}

// delivered reports whether the marker exists; its error is always an
// *Error.
func (n *Notifier) delivered(ctx context.Context, marker store.Key) (bool, error) {
	_, err := n.cfg.Store.Get(ctx, marker)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, &Error{Name: NameStore, Retryable: true, Err: err}
}

// takeLease writes the lease item if there is none (or it expired) and
// returns its version, which release needs.
func (n *Notifier) takeLease(ctx context.Context, key store.Key) (int64, error) {
	var token [8]byte
	_, _ = rand.Read(token[:])
	it, err := n.cfg.Store.Put(ctx, store.Item{Key: key, Value: []byte(hex.EncodeToString(token[:])),
		ExpiresAt: n.cfg.Clock.Now().Add(n.cfg.LeaseFor)}, store.Condition{IfAbsent: true})
	if err != nil {
		return 0, err
	}
	return it.Version, nil
}

// release deletes our lease, only if it is still ours (same version): a
// lease that expired and was taken over belongs to the other delivery. A
// failure leaves it to expire.
func (n *Notifier) release(key store.Key, version int64) {
	_ = n.cfg.Store.Delete(context.Background(), key, store.Condition{IfVersion: version})
}

// sendWithRetry calls ch.Send through the channel's breaker until it
// succeeds, fails for good, the breaker opens, or the attempts, MaxElapsed
// or ctx run out. Waits are on Config.Clock.
func (n *Notifier) sendWithRetry(ctx context.Context, ch Channel, m Message, r *Result) error {
	var cb *gobreaker.CircuitBreaker[struct{}]
	var shared *resilience.Breaker
	if n.cfg.Breakers != nil {
		shared = n.cfg.Breakers(ch.Name())
	}
	if shared == nil {
		cb = n.breaker(ch.Name())
	}
	policy := &fullJitter{exp: backoff.ExponentialBackOff{
		InitialInterval:     n.cfg.InitialInterval,
		RandomizationFactor: 0, // the jitter is full, applied below
		Multiplier:          2,
		MaxInterval:         n.cfg.MaxInterval,
	}, rand: n.cfg.Jitter}
	policy.Reset()
	start := n.cfg.Clock.Now()
	var last error
	for {
		if err := ctx.Err(); err != nil {
			return callerErr(ch.Name(), err, last)
		}
		attempt := func() (struct{}, error) {
			r.Attempts++
			actx, cancel := context.WithTimeout(ctx, n.cfg.AttemptTimeout)
			defer cancel()
			err := ch.Send(actx, m)
			if err != nil && ctx.Err() != nil {
				return struct{}{}, fmt.Errorf("%w: %w", errCallerGone, err)
			}
			return struct{}{}, err
		}
		var err error
		if shared != nil {
			err = sharedAttempt(ctx, shared, attempt)
		} else {
			_, err = cb.Execute(attempt)
		}
		if err == nil {
			return nil
		}
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) || errors.Is(err, resilience.ErrCircuitOpen) {
			e := &Error{Name: NameCircuitOpen, Channel: ch.Name(), Err: err}
			if last != nil {
				e.Err = fmt.Errorf("%w (last attempt: %v)", err, last)
			}
			return e
		}
		if errors.Is(err, errCallerGone) {
			return callerErr(ch.Name(), ctx.Err(), err)
		}
		last = asError(ch.Name(), err)
		if !Retryable(last) {
			return last
		}
		if r.Attempts >= n.cfg.MaxAttempts {
			return last
		}
		wait := policy.NextBackOff()
		if ra := retryAfterOf(last); ra > 0 {
			wait = ra
		}
		if n.cfg.Clock.Now().Sub(start)+wait > n.cfg.MaxElapsed {
			return last
		}
		// A wait the invocation's deadline would cut short is no use: give
		// up now with the channel's error rather than the deadline's.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return last
		}
		if err := n.cfg.Clock.Sleep(ctx, wait); err != nil {
			return callerErr(ch.Name(), err, last)
		}
	}
}

// sharedAttempt makes one attempt through a shared breaker: refused with
// resilience.ErrCircuitOpen while it is open, and counted as a failure on
// the same terms as the per-instance breaker (not a permanent refusal, not
// an attempt the caller abandoned).
func sharedAttempt(ctx context.Context, b *resilience.Breaker, attempt func() (struct{}, error)) error {
	permit, err := b.Allow(ctx)
	if err != nil {
		return err
	}
	_, err = attempt()
	b.Done(ctx, permit, err != nil && !errors.Is(err, errCallerGone) && Retryable(err))
	return err
}

// asError makes any failure an *Error naming the channel; errors a channel
// did not classify (a custom channel's network error) count as transient.
func asError(channel string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Channel == "" {
			c := *e
			c.Channel = channel
			return &c
		}
		return err
	}
	if ctxErr := context.DeadlineExceeded; errors.Is(err, ctxErr) {
		return &Error{Name: NameUnavailable, Channel: channel, Retryable: true, Err: fmt.Errorf("attempt timed out: %w", err)}
	}
	return &Error{Name: NameUnavailable, Channel: channel, Retryable: true, Err: err}
}

// callerErr is the error of a delivery the caller's context ended: ctx's
// error, with the last attempt's error for the timeline.
func callerErr(channel string, ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("notify: channel %s: %w", channel, ctxErr)
	}
	return fmt.Errorf("notify: channel %s: %w (last attempt: %v)", channel, ctxErr, last)
}

// fullJitter draws each wait uniformly in [0, cap), cap growing as the
// exponential policy says ("full jitter": spreads retries of many failing
// deliveries best, at the cost of sometimes retrying at once).
type fullJitter struct {
	exp  backoff.ExponentialBackOff
	rand func() float64
}

var _ backoff.BackOff = (*fullJitter)(nil)

// NextBackOff returns the next wait.
func (f *fullJitter) NextBackOff() time.Duration {
	c := f.exp.NextBackOff()
	if c == backoff.Stop {
		return c
	}
	return time.Duration(f.rand() * float64(c))
}

// Reset starts over from the initial interval.
func (f *fullJitter) Reset() { f.exp.Reset() }
