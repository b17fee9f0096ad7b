package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Strategy is how traffic moves to the new version.
type Strategy string

// The strategies.
const (
	// Canary sends a small share (Weights, default 10%) for an interval,
	// then everything.
	Canary Strategy = "canary"
	// Linear adds the same share every interval (default 10%: 10, 20, ...
	// 90, then 100).
	Linear Strategy = "linear"
	// BlueGreen sends everything at once and keeps the old version for an
	// instant rollback until the interval's check passes.
	BlueGreen Strategy = "blue-green"
)

// Defaults of a Spec's zero fields.
const (
	DefaultAlias             = "live"
	DefaultInterval          = 10 * time.Minute
	DefaultCanaryWeight      = 10.0
	DefaultLinearStep        = 10.0
	DefaultMaxErrorRate      = 0.05
	DefaultLatencyPercentile = 99.0
	DefaultMinRequests       = 10
	DefaultMaxHolds          = 3
	DefaultBurnWindow        = 5 * time.Minute
)

// Duration is a time.Duration written as "10m" in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as Go writes it.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s", "10m", "1h30m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"10m\": %w", err)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a positive duration: 90s, 10m, 1h30m, 1d.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(t, "d"); ok {
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			return time.Duration(v) * 24 * time.Hour, nil
		}
	}
	v, err := time.ParseDuration(t)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 90s, 10m or 1h", s)
	}
	return v, nil
}

// Checks are what a step must pass. Zero fields take the defaults below;
// the latency and SLO checks run only when set.
type Checks struct {
	// MaxErrorRate is the highest share of the new version's requests
	// that may fail (status error), in [0, 1). Zero means 0.05; a check
	// with no error-rate limit sets it to 1.
	MaxErrorRate float64 `json:"maxErrorRate,omitempty"`
	// MaxLatencyMs, when set, is the highest latency the new version's
	// LatencyPercentile may reach (read from a histogram: the upper bound
	// of the percentile's bucket, so a breach is never missed).
	MaxLatencyMs float64 `json:"maxLatencyMs,omitempty"`
	// LatencyPercentile is in (0, 100]; zero means 99.
	LatencyPercentile float64 `json:"latencyPercentile,omitempty"`
	// SLO, when set, names an SLO (config/slos) whose burn rate over
	// BurnWindow, counted from the new version's events only, must stay
	// at or under MaxBurnRate.
	SLO         string   `json:"slo,omitempty"`
	BurnWindow  Duration `json:"burnWindow,omitempty"`
	MaxBurnRate float64  `json:"maxBurnRate,omitempty"`
	// MinRequests is how many requests of the new version a check needs to
	// judge it; with fewer the step is held. Zero means 10.
	MinRequests int `json:"minRequests,omitempty"`
	// MaxHolds is how many holds in a row are tolerated; one more rolls
	// back. Zero means 3.
	MaxHolds int `json:"maxHolds,omitempty"`
}

// Spec is what a release is asked to do.
type Spec struct {
	// ID names the release; empty means <function>-<alias>-v<version>-<unix time>.
	ID       string `json:"id,omitempty"`
	Function string `json:"function"`
	// Alias is moved; empty means "live".
	Alias string `json:"alias,omitempty"`
	// Version is the version released.
	Version  string   `json:"version"`
	Strategy Strategy `json:"strategy,omitempty"` // empty means canary
	// Weights are the new version's shares of traffic in percent at each
	// step before 100, strictly increasing, each in (0, 100). Empty means
	// the strategy's: canary [10], linear [10 20 ... 90], blue-green none.
	Weights []float64 `json:"weights,omitempty"`
	// Interval is how long each step lasts before its check. Zero means 10m.
	Interval Duration `json:"interval,omitempty"`
	Checks   Checks   `json:"checks"`
	// By is who started it.
	By string `json:"by,omitempty"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$`)

// LinearWeights is 0 < step, 2*step, ... < 100.
func LinearWeights(step float64) []float64 {
	var out []float64
	for w := step; w < 100-1e-9; w += step {
		out = append(out, math.Round(w*1e6)/1e6)
	}
	return out
}

// Normalize fills the defaults of s's zero fields and reports every
// problem, naming the field. It changes nothing outside s.
func (s *Spec) Normalize(now time.Time) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Err: fmt.Errorf(format, args...)})
	}
	if s.Function == "" {
		bad("function", "required")
	}
	if s.Version == "" {
		bad("version", "required")
	}
	if s.Alias == "" {
		s.Alias = DefaultAlias
	}
	if s.Strategy == "" {
		s.Strategy = Canary
	}
	switch s.Strategy {
	case Canary:
		if len(s.Weights) == 0 {
			s.Weights = []float64{DefaultCanaryWeight}
		}
	case Linear:
		if len(s.Weights) == 0 {
			s.Weights = LinearWeights(DefaultLinearStep)
		}
	case BlueGreen:
		if len(s.Weights) > 0 {
			bad("weights", "blue-green moves all traffic at once and takes no weights (got %v)", s.Weights)
		}
	default:
		bad("strategy", "%q is not canary, linear or blue-green", s.Strategy)
	}
	for i, w := range s.Weights {
		switch {
		case math.IsNaN(w) || w <= 0 || w >= 100:
			bad(fmt.Sprintf("weights[%d]", i), "%v is not a percentage in (0, 100)", w)
		case i > 0 && w <= s.Weights[i-1]:
			bad(fmt.Sprintf("weights[%d]", i), "%v does not grow from %v: weights must increase", w, s.Weights[i-1])
		}
	}
	if s.Interval < 0 {
		bad("interval", "%s is negative", time.Duration(s.Interval))
	}
	if s.Interval == 0 {
		s.Interval = Duration(DefaultInterval)
	}
	c := &s.Checks
	switch {
	case math.IsNaN(c.MaxErrorRate) || c.MaxErrorRate < 0 || c.MaxErrorRate > 1:
		bad("maxErrorRate", "%v is not a rate in [0, 1]", c.MaxErrorRate)
	case c.MaxErrorRate == 0:
		c.MaxErrorRate = DefaultMaxErrorRate
	}
	if math.IsNaN(c.MaxLatencyMs) || c.MaxLatencyMs < 0 {
		bad("maxLatencyMs", "%v is negative", c.MaxLatencyMs)
	}
	switch {
	case math.IsNaN(c.LatencyPercentile) || c.LatencyPercentile < 0 || c.LatencyPercentile > 100:
		bad("latencyPercentile", "%v is not a percentile in (0, 100]", c.LatencyPercentile)
	case c.LatencyPercentile == 0:
		c.LatencyPercentile = DefaultLatencyPercentile
	}
	if c.SLO != "" {
		if c.BurnWindow < 0 {
			bad("burnWindow", "%s is negative", time.Duration(c.BurnWindow))
		}
		if c.BurnWindow == 0 {
			c.BurnWindow = Duration(DefaultBurnWindow)
		}
		if math.IsNaN(c.MaxBurnRate) || c.MaxBurnRate <= 0 {
			bad("maxBurnRate", "%v: an SLO check needs a burn rate over 0 (1 spends the budget exactly over the SLO window)", c.MaxBurnRate)
		}
	} else if c.MaxBurnRate != 0 || c.BurnWindow != 0 {
		bad("slo", "maxBurnRate and burnWindow need an SLO to read the burn rate of")
	}
	switch {
	case c.MinRequests < 0:
		bad("minRequests", "%d is negative", c.MinRequests)
	case c.MinRequests == 0:
		c.MinRequests = DefaultMinRequests
	}
	switch {
	case c.MaxHolds < 0:
		bad("maxHolds", "%d is negative", c.MaxHolds)
	case c.MaxHolds == 0:
		c.MaxHolds = DefaultMaxHolds
	}
	if s.ID == "" && s.Function != "" && s.Version != "" {
		s.ID = fmt.Sprintf("%s-%s-v%s-%d", s.Function, s.Alias, s.Version, now.Unix())
		s.ID = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				return r
			}
			return '-'
		}, s.ID)
		if len(s.ID) > 80 {
			s.ID = s.ID[len(s.ID)-80:]
		}
	}
	if s.ID != "" && !idPattern.MatchString(s.ID) {
		bad("id", "%q is not 1-80 letters, digits, '.', '_' or '-'", s.ID)
	}
	return errors.Join(errs...)
}

// FieldError is a problem with one field of a request.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the problem.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldName returns the field (the HTTP problem's field).
func (e *FieldError) FieldName() string { return e.Field }
