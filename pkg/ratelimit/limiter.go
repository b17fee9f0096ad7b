package ratelimit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Defaults of Config.
const (
	DefaultLeaseInterval  = 250 * time.Millisecond
	DefaultMaxRaceRetries = 3
	DefaultStoreBackoff   = time.Second
	DefaultIdleAfter      = 10 * time.Minute
)

// ErrContention is reported (Decision.Err) when a lease lost the race on the
// client's store item MaxRaceRetries+1 times: the request is refused (fail
// closed), since other instances are busy spending the same client's limit.
var ErrContention = errors.New("ratelimit: store item contended")

// Config configures a Limiter.
type Config struct {
	// Policies to enforce. Nil limits nothing.
	Policies *Policies
	// Store shares each client's limit across instances. Nil keeps limits
	// per process (the in-process limiter alone).
	Store store.Store
	// Now is the clock; nil means time.Now. Tests pass a fake clock.
	Now func() time.Time
	// LeaseInterval sets the lease size: an instance takes
	// round(rate × LeaseInterval) requests' worth of a client's limit per
	// store write (at least 1, at most ceil(burst/2)), so a busy client
	// costs about one store write per LeaseInterval. Zero means
	// DefaultLeaseInterval (250 ms).
	LeaseInterval time.Duration
	// MaxRaceRetries bounds how often a lease that lost the race on the
	// store item (a concurrent lease by another instance) is retried
	// before the request is refused (ErrContention). Zero means 3.
	MaxRaceRetries int
	// StoreBackoff is how long a client is limited by the in-process
	// limiter alone after the store failed (fail open), before the store
	// is tried again. Zero means 1 s.
	StoreBackoff time.Duration
	// IdleAfter is when an idle client's in-process state is dropped
	// (leased requests left in it are lost: the client gets fewer, never
	// more). Zero means 10 minutes.
	IdleAfter time.Duration
}

// Limiter decides, per request, whether a client may call an API. It is
// safe for concurrent use; create one per process and share it.
type Limiter struct {
	policies *Policies
	st       store.Store
	now      func() time.Time
	lease    time.Duration
	retries  int
	backoff  time.Duration
	idle     time.Duration

	mu      sync.RWMutex
	buckets map[bucketKey]*bucket
	inserts int
}

// New returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	var errs []error
	if cfg.LeaseInterval < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: LeaseInterval %v is negative", cfg.LeaseInterval))
	}
	if cfg.MaxRaceRetries < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: MaxRaceRetries %d is negative", cfg.MaxRaceRetries))
	}
	if cfg.StoreBackoff < 0 {
		errs = append(errs, fmt.Errorf("ratelimit: StoreBackoff %v is negative", cfg.StoreBackoff))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l := &Limiter{policies: cfg.Policies, st: cfg.Store, now: cfg.Now, lease: cfg.LeaseInterval,
		retries: cfg.MaxRaceRetries, backoff: cfg.StoreBackoff, idle: cfg.IdleAfter, buckets: map[bucketKey]*bucket{}}
	if l.now == nil {
		l.now = time.Now
	}
	if l.lease == 0 {
		l.lease = DefaultLeaseInterval
	}
	if l.retries == 0 {
		l.retries = DefaultMaxRaceRetries
	}
	if l.backoff == 0 {
		l.backoff = DefaultStoreBackoff
	}
	if l.idle == 0 {
		l.idle = DefaultIdleAfter
	}
	return l, nil
}

// LeaseSize is how many requests of p one store write leases to an
// instance: round(rate × leaseInterval), at least 1, at most ceil(burst/2).
// It is also the tolerance per instance (see the package doc).
func LeaseSize(p *Policy, leaseInterval time.Duration) int64 {
	n := int64(math.Round(p.Rate.PerSecond() * leaseInterval.Seconds()))
	if hi := int64(p.Burst+1) / 2; n > hi {
		n = hi
	}
	if n < 1 {
		n = 1
	}
	return n
}

// Decision is the answer for one request.
type Decision struct {
	Allowed bool
	// Policy is the policy that applied; nil when the client's class is
	// not limited on the API (then nothing else is set).
	Policy *Policy
	// Remaining is about how many more requests the client may send now.
	Remaining int64
	// Reset is when the client's burst is fully available again.
	Reset time.Duration
	// RetryAfter is when to try again, when refused.
	RetryAfter time.Duration
	// QuotaRemaining is about how many requests are left today; -1 when
	// the policy has no daily quota.
	QuotaRemaining int64
	// QuotaReset is the time to the next UTC midnight.
	QuotaReset time.Duration
	// QuotaExhausted: refused because the daily quota is spent.
	QuotaExhausted bool
	// Err is a store failure (the request was decided by the in-process
	// limiter alone: fail open) or ErrContention (refused: fail closed).
	Err error
}

type bucketKey struct{ api, client string }

// bucket is one client's state on one API in this process.
type bucket struct {
	mu     sync.Mutex
	policy *Policy
	local  *rate.Limiter
	size   int64 // lease size
	held   int64 // leased requests not yet spent
	// notBefore: the shared limit has nothing for this instance before
	// then (a refusal is answered without the store until then).
	notBefore   time.Time
	quotaDenied bool
	// degradedUntil: the store failed; the in-process limiter alone
	// decides until then.
	degradedUntil time.Time
	// What the last lease saw of the shared state, for the headers.
	tat      time.Time
	day      string
	midnight time.Time // the end of day
	used     int64
	lastUsed time.Time
}

// sharedState is the store item of one client on one API: the GCRA's
// theoretical arrival time and the day's quota count (leased requests).
type sharedState struct {
	TAT  int64  `json:"tat"`  // Unix nanoseconds
	Day  string `json:"day"`  // UTC date the count is for
	Used int64  `json:"used"` // requests leased on Day
}

// StoreKey is where the shared state of client on api lives.
func StoreKey(api, client string) store.Key {
	return store.Key{Partition: "ratelimit#" + client, Sort: "api#" + api}
}

func (l *Limiter) bucket(k bucketKey, p *Policy, now time.Time) *bucket {
	l.mu.RLock()
	b := l.buckets[k]
	l.mu.RUnlock()
	if b != nil && b.policy == p {
		return b
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b = l.buckets[k]; b != nil && b.policy == p {
		return b
	}
	b = &bucket{policy: p, size: LeaseSize(p, l.lease),
		local: rate.NewLimiter(rate.Limit(p.Rate.PerSecond()), p.Burst), lastUsed: now}
	l.buckets[k] = b
	l.inserts++
	if l.inserts%1024 == 0 {
		l.sweep(now)
	}
	return b
}

// sweep drops idle clients. Callers hold l.mu.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.mu.TryLock() {
			if now.Sub(b.lastUsed) > l.idle {
				delete(l.buckets, k)
			}
			b.mu.Unlock()
		}
	}
}

func utcDay(t time.Time) (day string, next time.Time) {
	t = t.UTC()
	y, m, d := t.Date()
	return t.Format(time.DateOnly), time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// Allow decides one request of client on api. It never blocks on the
// store when the instance holds leased requests or knows the client is
// refused; otherwise it takes one lease (one conditional store write).
func (l *Limiter) Allow(ctx context.Context, c apiclient.Client, api string) Decision {
	p, ok := l.policies.For(c.Class, api)
	if !ok {
		return Decision{Allowed: true}
	}
	now := l.now()
	b := l.bucket(bucketKey{api, c.ID}, p, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lastUsed = now
	d := Decision{Policy: p}
	if !now.Before(b.midnight) { // a new UTC day (or the first request)
		day, next := utcDay(now)
		if b.day != day {
			b.used, b.quotaDenied = 0, false
		}
		b.day, b.midnight = day, next
	}
	midnight := b.midnight

	// The in-process limiter: what one instance may never exceed.
	res := b.local.ReserveN(now, 1)
	if !res.OK() || res.DelayFrom(now) > 0 {
		wait := res.DelayFrom(now)
		res.CancelAt(now)
		if !b.notBefore.IsZero() && b.notBefore.After(now) && b.notBefore.Sub(now) > wait {
			wait = b.notBefore.Sub(now)
		}
		return l.refuse(b, d, now, midnight, wait)
	}
	switch {
	case b.held > 0:
		b.held--
		return l.allow(b, d, now, midnight)
	case now.Before(b.notBefore):
		res.CancelAt(now)
		return l.refuse(b, d, now, midnight, b.notBefore.Sub(now))
	case l.st == nil || now.Before(b.degradedUntil):
		return l.allowLocal(b, d, res, now, midnight)
	}
	granted, err := l.takeLease(ctx, api, c.ID, b, now)
	switch {
	case errors.Is(err, ErrContention):
		res.CancelAt(now)
		d.Err = err
		return l.refuse(b, d, now, midnight, p.Rate.Interval())
	case err != nil:
		// Fail open: a store outage must not take the API down. The
		// in-process limiter above still holds this instance to the
		// policy; N instances may then allow up to N times it.
		b.degradedUntil = now.Add(l.backoff)
		d.Err = err
		return l.allowLocal(b, d, res, now, midnight)
	case granted == 0:
		res.CancelAt(now)
		return l.refuse(b, d, now, midnight, b.notBefore.Sub(now))
	}
	b.held = granted - 1
	return l.allow(b, d, now, midnight)
}

// allowLocal decides by the in-process limiter alone (no store, or the
// store failed), counting the daily quota in process.
func (l *Limiter) allowLocal(b *bucket, d Decision, res *rate.Reservation, now, midnight time.Time) Decision {
	if q := b.policy.Quota; q > 0 && b.used >= q {
		res.CancelAt(now)
		b.quotaDenied, b.notBefore = true, midnight
		return l.refuse(b, d, now, midnight, midnight.Sub(now))
	}
	b.used++
	return l.allow(b, d, now, midnight)
}

func (l *Limiter) allow(b *bucket, d Decision, now, midnight time.Time) Decision {
	d.Allowed = true
	l.fill(b, &d, now, midnight)
	return d
}

func (l *Limiter) refuse(b *bucket, d Decision, now, midnight time.Time, wait time.Duration) Decision {
	d.Allowed = false
	d.QuotaExhausted = b.quotaDenied && now.Before(b.notBefore)
	d.RetryAfter = max(wait, 0)
	l.fill(b, &d, now, midnight)
	d.Remaining = 0
	return d
}

// fill estimates what is left from what the last lease saw of the shared
// state plus the requests this instance holds.
func (l *Limiter) fill(b *bucket, d *Decision, now, midnight time.Time) {
	p := b.policy
	T := p.Rate.Interval()
	tat := b.tat
	if tat.Before(now) {
		tat = now
	}
	shared := int64(float64(now.Add(time.Duration(p.Burst)*T).Sub(tat)) / float64(T))
	if l.st == nil {
		shared = int64(b.local.TokensAt(now))
	}
	d.Remaining = min(max(shared, 0)+b.held, int64(p.Burst))
	d.Reset = tat.Sub(now)
	d.QuotaRemaining = -1
	d.QuotaReset = midnight.Sub(now)
	if p.Quota > 0 {
		d.QuotaRemaining = max(p.Quota-b.used+b.held, 0)
		if b.quotaDenied {
			d.QuotaRemaining = 0
		}
	}
}

// takeLease leases up to the bucket's lease size from the shared state:
// GCRA over the store item, one conditional write per lease. It returns
// the requests granted (0: refused, b.notBefore says until when).
func (l *Limiter) takeLease(ctx context.Context, api, client string, b *bucket, now time.Time) (int64, error) {
	p := b.policy
	key := StoreKey(api, client)
	T := p.Rate.Interval()
	tau := time.Duration(p.Burst) * T
	day, midnight := utcDay(now)
	for attempt := 0; attempt <= l.retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		var st sharedState
		var version int64
		it, err := l.st.Get(ctx, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return 0, fmt.Errorf("ratelimit: read %s/%s: %w", key.Partition, key.Sort, err)
		default:
			if err := json.Unmarshal(it.Value, &st); err != nil {
				// A corrupt item is replaced rather than blocking the client forever.
				st = sharedState{}
			}
			version = it.Version
		}
		if st.Day != day {
			st.Day, st.Used = day, 0
		}
		tat := time.Unix(0, st.TAT)
		if tat.Before(now) {
			tat = now
		}
		b.tat, b.used = tat, st.Used
		want := b.size
		if p.Quota > 0 {
			left := p.Quota - st.Used
			if left <= 0 {
				b.quotaDenied, b.notBefore = true, midnight
				return 0, nil
			}
			want = min(want, left)
		}
		// GCRA: granting want requests moves the theoretical arrival time
		// by want intervals; it may run at most tau ahead of now.
		newTAT := tat.Add(time.Duration(want) * T)
		if newTAT.Sub(now) > tau {
			// The lease fits at newTAT-tau. Instances refused together would
			// all come back then, and all but one lose the race (a wasted
			// conditional write each): a random delay of up to half a lease
			// spreads them, so the first takes the lease and the others,
			// reading, learn the next time without writing.
			b.notBefore = newTAT.Add(-tau).Add(time.Duration(rand.Int64N(int64(want)*int64(T)/2 + 1)))
			return 0, nil
		}
		st.TAT, st.Used = newTAT.UnixNano(), st.Used+want
		val, _ := json.Marshal(st) // ints and a string: cannot fail
		cond := store.Condition{IfVersion: version}
		if version == 0 {
			cond = store.Condition{IfAbsent: true}
		}
		_, err = l.st.Put(ctx, store.Item{Key: key, Value: val, ExpiresAt: later(midnight, newTAT)}, cond)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("ratelimit: write %s/%s: %w", key.Partition, key.Sort, err)
		}
		b.tat, b.used, b.notBefore, b.quotaDenied = newTAT, st.Used, time.Time{}, false
		return want, nil
	}
	return 0, ErrContention
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
