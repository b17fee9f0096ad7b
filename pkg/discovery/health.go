package discovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Checker defaults.
const (
	DefaultProbeTimeout = 2 * time.Second
	DefaultConcurrency  = 16
)

// CheckerConfig configures a Checker.
type CheckerConfig struct {
	// Registry holds the instances. Required.
	Registry *Registry
	// Thresholds: 3 failures in a row make an instance unhealthy, 2 passes
	// healthy, unless set.
	Thresholds Thresholds
	// Timeout bounds one probe; zero means DefaultProbeTimeout.
	Timeout time.Duration
	// Concurrency is how many probes run at once; zero means
	// DefaultConcurrency.
	Concurrency int
	// Client sends the probes; nil means a client of its own that follows
	// no redirect (a redirect is not a pass).
	Client *http.Client
	// Publish announces a transition (the catalog event); nil announces
	// nothing and leaves every transition pending, for a checker that
	// publishes (the CLI's check on a data directory does that). An error
	// leaves the transition pending for the next check.
	Publish func(context.Context, HealthChange) error
	// Now is the clock probes are stamped with; nil means time.Now.
	Now func() time.Time
}

// Checker probes the registered instances' health URLs.
type Checker struct {
	cfg CheckerConfig
}

// NewChecker returns a Checker, or every problem of cfg.
func NewChecker(cfg CheckerConfig) (*Checker, error) {
	var errs []error
	if cfg.Registry == nil {
		errs = append(errs, errors.New("discovery: CheckerConfig.Registry is required"))
	}
	errs = append(errs, cfg.Thresholds.Validate())
	if cfg.Timeout < 0 {
		errs = append(errs, fieldErr("timeout", "%v is negative", cfg.Timeout))
	}
	if cfg.Concurrency < 0 {
		errs = append(errs, fieldErr("concurrency", "%d is negative", cfg.Concurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Thresholds = cfg.Thresholds.withDefaults()
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultProbeTimeout
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg}, nil
}

// Report is the outcome of one check run.
type Report struct {
	// Checked counts the instances probed (those with a health URL).
	Checked int `json:"checked"`
	// Healthy, Unhealthy and Unknown count the probed instances by state
	// after the run.
	Healthy   int `json:"healthy"`
	Unhealthy int `json:"unhealthy"`
	Unknown   int `json:"unknown"`
	// Changes are the transitions of this run.
	Changes []HealthChange `json:"changes"`
	// Announced counts the transitions published (this run's and earlier
	// pending ones).
	Announced int `json:"announced"`
}

// Probe runs one health probe: nil for a 2xx answer within the timeout.
func (c *Checker) Probe(ctx context.Context, healthURL string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, healthURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "cogniforge-health-checker")
	resp, err := c.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %v", c.cfg.Timeout)
		}
		return err
	}
	// Drain a little so the connection can be reused; health bodies are small.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// Check probes every instance that has a health URL, records each result,
// and announces the transitions (and those left pending by an earlier
// run). Probe failures are results, not errors: the error is the
// registry's or the bus's, joined, after every instance was tried.
func (c *Checker) Check(ctx context.Context) (Report, error) {
	all, err := c.cfg.Registry.Instances(ctx, "")
	if err != nil {
		return Report{}, err
	}
	var (
		mu   sync.Mutex
		rep  = Report{Changes: []HealthChange{}}
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, c.cfg.Concurrency)
	)
	for _, in := range all {
		if in.HealthURL == "" {
			if len(in.Pending) > 0 {
				n, err := c.announce(ctx, in.Service, in.ID, in.Pending)
				mu.Lock()
				rep.Announced += n
				errs = append(errs, err)
				mu.Unlock()
			}
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errText := ""
			if perr := c.Probe(ctx, in.HealthURL); perr != nil {
				errText = perr.Error()
			}
			if ctx.Err() != nil {
				// A cancelled run says nothing about the instance.
				mu.Lock()
				errs = append(errs, ctx.Err())
				mu.Unlock()
				return
			}
			out, change, err := c.cfg.Registry.Record(ctx, in.Service, in.ID, c.cfg.Thresholds, c.cfg.Now(), errText)
			if errors.Is(err, ErrNotFound) {
				return // deregistered or expired meanwhile
			}
			var n int
			var perr error
			if err == nil && len(out.Pending) > 0 {
				n, perr = c.announce(ctx, in.Service, in.ID, out.Pending)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			errs = append(errs, perr)
			rep.Checked++
			rep.Announced += n
			switch out.Health {
			case Healthy:
				rep.Healthy++
			case Unhealthy:
				rep.Unhealthy++
			default:
				rep.Unknown++
			}
			if change != nil {
				rep.Changes = append(rep.Changes, *change)
			}
		}()
	}
	wg.Wait()
	return rep, errors.Join(errs...)
}

// announce publishes pending transitions in order and marks those
// published; it stops at the first refusal, which stays pending.
func (c *Checker) announce(ctx context.Context, service, id string, pending []HealthChange) (int, error) {
	if c.cfg.Publish == nil {
		return 0, nil // they stay pending for a checker that publishes
	}
	var done int64
	n := 0
	var perr error
	for _, p := range pending {
		if perr = c.cfg.Publish(ctx, p); perr != nil {
			perr = fmt.Errorf("discovery: announce %s/%s transition %d: %w", service, id, p.Seq, perr)
			break
		}
		done, n = p.Seq, n+1
	}
	if n > 0 {
		if err := c.cfg.Registry.Announced(ctx, service, id, done); err != nil && !errors.Is(err, ErrNotFound) {
			return n, errors.Join(perr, err)
		}
	}
	return n, perr
}
