package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Routing is where an alias sends its traffic: Version gets what the
// additional versions do not.
type Routing struct {
	Version string `json:"version"`
	// Weights are additional versions and their shares in [0, 1) (Lambda's
	// RoutingConfig.AdditionalVersionWeights; at most one on Lambda).
	Weights map[string]float64 `json:"weights,omitempty"`
}

// Share is the fraction of the alias's traffic version gets.
func (r Routing) Share(version string) float64 {
	var rest float64
	for v, w := range r.Weights {
		if v == version {
			return w
		}
		rest += w
	}
	if version == r.Version {
		return 1 - rest
	}
	return 0
}

// Split is the routing that sends percent of the traffic to next and the
// rest to primary (all to next at 100, all to primary at 0).
func Split(primary, next string, percent float64) Routing {
	switch {
	case percent >= 100:
		return Routing{Version: next}
	case percent <= 0 || primary == next:
		return Routing{Version: primary}
	}
	return Routing{Version: primary, Weights: map[string]float64{next: math.Round(percent*1e4) / 1e6}}
}

// Aliases is the port to the platform's function aliases and versions.
// Errors name what does not exist by wrapping ErrFunctionNotFound,
// ErrAliasNotFound or ErrVersionNotFound.
type Aliases interface {
	// Alias returns where an alias routes.
	Alias(ctx context.Context, function, alias string) (Routing, error)
	// SetAlias routes an alias; every version it names must exist. Setting
	// what is set already changes nothing.
	SetAlias(ctx context.Context, function, alias string, r Routing) error
	// Versions lists a function's published versions.
	Versions(ctx context.Context, function string) ([]string, error)
}

// Errors of the Aliases port.
var (
	ErrFunctionNotFound = errors.New("release: no such function")
	ErrAliasNotFound    = errors.New("release: no such alias")
	ErrVersionNotFound  = errors.New("release: no such version")
)

// StoreAliases are function versions and aliases kept in the store, for the
// local runtime, where every version runs the same code: publishing a
// version records it, and the runtime routes an alias's invocations to its
// versions by weight (Pick) and labels them with the version. Every known
// function has version 1 and a "live" alias on it until changed.
type StoreAliases struct {
	Store store.Store
	// Functions are the functions that exist; nil means any name does.
	Functions []string
	// Now stamps published versions; nil means time.Now.
	Now func() time.Time
}

var _ Aliases = (*StoreAliases)(nil)

// VersionInfo is a locally published version.
type VersionInfo struct {
	Function    string    `json:"function"`
	Version     string    `json:"version"`
	Description string    `json:"description,omitempty"`
	PublishedAt time.Time `json:"publishedAt"`
}

func versionsKey(fn string) store.Key {
	return store.Key{Partition: "release#fn#" + fn, Sort: "versions"}
}
func aliasKey(fn, alias string) store.Key {
	return store.Key{Partition: "release#fn#" + fn, Sort: "alias#" + alias}
}

func (a *StoreAliases) known(fn string) error {
	if fn == "" || a.Functions != nil && !slices.Contains(a.Functions, fn) {
		return fmt.Errorf("%w: %q (have %v)", ErrFunctionNotFound, fn, a.Functions)
	}
	return nil
}

// versions returns the published versions and the item's version (0 when
// only the implicit version 1 exists).
func (a *StoreAliases) versions(ctx context.Context, fn string) ([]VersionInfo, int64, error) {
	it, err := a.Store.Get(ctx, versionsKey(fn))
	if errors.Is(err, store.ErrNotFound) {
		return []VersionInfo{{Function: fn, Version: "1", Description: "the code the runtime started with"}}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var vs []VersionInfo
	if err := json.Unmarshal(it.Value, &vs); err != nil {
		return nil, 0, fmt.Errorf("release: versions of %s: %w", fn, err)
	}
	return vs, it.Version, nil
}

// Versions lists fn's versions, oldest first.
func (a *StoreAliases) Versions(ctx context.Context, fn string) ([]string, error) {
	if err := a.known(fn); err != nil {
		return nil, err
	}
	vs, _, err := a.versions(ctx, fn)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out, nil
}

// Publish records fn's next version (Lambda PublishVersion).
func (a *StoreAliases) Publish(ctx context.Context, fn, description string) (VersionInfo, error) {
	if err := a.known(fn); err != nil {
		return VersionInfo{}, err
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	for range 10 {
		vs, ver, err := a.versions(ctx, fn)
		if err != nil {
			return VersionInfo{}, err
		}
		last, _ := strconv.Atoi(vs[len(vs)-1].Version)
		v := VersionInfo{Function: fn, Version: strconv.Itoa(last + 1), Description: description, PublishedAt: now().UTC()}
		b, _ := json.Marshal(append(vs, v))
		cond := store.Condition{IfVersion: ver}
		if ver == 0 {
			cond = store.Condition{IfAbsent: true}
		}
		_, err = a.Store.Put(ctx, store.Item{Key: versionsKey(fn), Value: b}, cond)
		if errors.Is(err, store.ErrConditionFailed) {
			continue
		}
		return v, err
	}
	return VersionInfo{}, fmt.Errorf("release: publishing a version of %s: too many concurrent publishes", fn)
}

// Alias returns where fn's alias routes ("live" is on version 1 until set).
func (a *StoreAliases) Alias(ctx context.Context, fn, alias string) (Routing, error) {
	if err := a.known(fn); err != nil {
		return Routing{}, err
	}
	it, err := a.Store.Get(ctx, aliasKey(fn, alias))
	if errors.Is(err, store.ErrNotFound) {
		if alias == DefaultAlias {
			return Routing{Version: "1"}, nil
		}
		return Routing{}, fmt.Errorf("%w: %s:%s", ErrAliasNotFound, fn, alias)
	}
	if err != nil {
		return Routing{}, err
	}
	var r Routing
	if err := json.Unmarshal(it.Value, &r); err != nil {
		return Routing{}, fmt.Errorf("release: alias %s:%s: %w", fn, alias, err)
	}
	return r, nil
}

// SetAlias routes fn's alias; every version named must exist, weights be in
// [0, 1) and sum under 1. The alias must exist ("live" always does).
func (a *StoreAliases) SetAlias(ctx context.Context, fn, alias string, r Routing) error {
	if _, err := a.Alias(ctx, fn, alias); err != nil {
		return err
	}
	if err := checkRouting(r); err != nil {
		return err
	}
	have, err := a.Versions(ctx, fn)
	if err != nil {
		return err
	}
	for _, v := range r.versions() {
		if !slices.Contains(have, v) {
			return fmt.Errorf("%w: %s version %q (have %v)", ErrVersionNotFound, fn, v, have)
		}
	}
	b, _ := json.Marshal(r)
	_, err = a.Store.Put(ctx, store.Item{Key: aliasKey(fn, alias), Value: b}, store.Condition{})
	return err
}

func (r Routing) versions() []string {
	out := []string{r.Version}
	for v := range r.Weights {
		out = append(out, v)
	}
	sort.Strings(out[1:])
	return out
}

func checkRouting(r Routing) error {
	if r.Version == "" {
		return &FieldError{Field: "version", Err: errors.New("an alias needs a version")}
	}
	var sum float64
	for v, w := range r.Weights {
		if math.IsNaN(w) || w < 0 || w >= 1 {
			return &FieldError{Field: "weights", Err: fmt.Errorf("version %s: %v is not a share in [0, 1)", v, w)}
		}
		sum += w
	}
	if sum >= 1 {
		return &FieldError{Field: "weights", Err: fmt.Errorf("the additional versions' shares sum to %v, not under 1", sum)}
	}
	return nil
}

// Pick chooses the version that serves one invocation of fn's alias: u is
// a uniform random number in [0, 1).
func (a *StoreAliases) Pick(ctx context.Context, fn, alias string, u float64) (string, error) {
	r, err := a.Alias(ctx, fn, alias)
	if err != nil {
		return "", err
	}
	return r.Pick(u), nil
}

// Pick chooses a version for a uniform random u in [0, 1): each additional
// version by its weight (in name order, so the choice is deterministic for
// a given u), the primary version otherwise.
func (r Routing) Pick(u float64) string {
	vs := r.versions()[1:]
	for _, v := range vs {
		w := r.Weights[v]
		if u < w {
			return v
		}
		u -= w
	}
	return r.Version
}
