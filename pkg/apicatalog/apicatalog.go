// Package apicatalog reads the catalog of HTTP API versions (api/catalog.yaml):
// which function serves each version of each API, under which path prefix,
// its OpenAPI document and its lifecycle state (active, deprecated, sunset,
// retired) with the dates and migration guide the lifecycle headers
// announce. A Catalog is immutable after Parse and safe for concurrent use.
package apicatalog

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// State is where an API version is in its lifecycle.
type State string

// The lifecycle states, in order.
const (
	Active     State = "active"     // served, nothing announced
	Deprecated State = "deprecated" // served, Deprecation (and Sunset) announced
	Sunset     State = "sunset"     // served until its sunset date, announced
	Retired    State = "retired"    // no longer served: 410 Gone
)

// States lists the states in lifecycle order.
var States = []State{Active, Deprecated, Sunset, Retired}

func (s State) valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// Entry is one version of one API.
type Entry struct {
	Name     string `yaml:"name" json:"name"`
	Version  string `yaml:"version" json:"version"`
	Function string `yaml:"function" json:"function"`
	Spec     string `yaml:"spec" json:"spec"`
	State    State  `yaml:"state" json:"state"`
	// Prefix is the path prefix that addresses this version ("" when the
	// version is served unprefixed, at the function's root).
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// Deprecated is when the version was deprecated (zero while active).
	Deprecated Date `yaml:"deprecated,omitempty" json:"deprecated,omitzero"`
	// Sunset is when it stops, or stopped, answering.
	Sunset Date `yaml:"sunset,omitempty" json:"sunset,omitzero"`
	// Migration is the URL of the migration guide.
	Migration string `yaml:"migration,omitempty" json:"migration,omitempty"`
}

// ID is "name/version".
func (e Entry) ID() string { return e.Name + "/" + e.Version }

// Date is a catalog date: an RFC 3339 date ("2027-03-31", midnight UTC) or
// time.
type Date struct{ time.Time }

// UnmarshalYAML parses a date or an RFC 3339 time.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	t, err := ParseDate(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// MarshalYAML writes the date as RFC 3339.
func (d Date) MarshalYAML() (any, error) { return d.Format(time.RFC3339), nil }

// ParseDate parses "2027-03-31" (midnight UTC) or an RFC 3339 time.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2027-03-31) nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// Catalog is every API version, in file order.
type Catalog struct {
	Entries []Entry
}

type file struct {
	APIs []Entry `yaml:"apis"`
}

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	versionPattern = regexp.MustCompile(`^v[0-9]+(\.[0-9]+)?$`)
)

// Parse reads a catalog and checks every entry, joining every problem
// found into one error that names the entry and the field.
func Parse(data []byte) (*Catalog, error) {
	var f file
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("apicatalog: %w", err)
	}
	var errs []error
	seen := map[string]bool{}
	prefixes := map[string]string{} // function+prefix -> entry
	for i, e := range f.APIs {
		where := fmt.Sprintf("apis[%d] (%s)", i, e.ID())
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("apicatalog: %s: %s", where, fmt.Sprintf(format, args...)))
		}
		if !namePattern.MatchString(e.Name) {
			bad("name %q: want lower-case letters, digits and dashes", e.Name)
		}
		if !versionPattern.MatchString(e.Version) {
			bad("version %q: want v1, v2, v2.1 ...", e.Version)
		}
		if seen[e.ID()] {
			bad("listed twice")
		}
		seen[e.ID()] = true
		if !namePattern.MatchString(e.Function) {
			bad("function %q: want the name of a directory under functions/", e.Function)
		}
		if e.Spec == "" || path.Base(e.Spec) != e.Spec {
			bad("spec %q: want a file name in the api directory", e.Spec)
		}
		if !e.State.valid() {
			bad("state %q: want one of %v", e.State, States)
		}
		if e.Prefix != "" && (!strings.HasPrefix(e.Prefix, "/") || strings.HasSuffix(e.Prefix, "/")) {
			bad("prefix %q: want /segment, no trailing slash", e.Prefix)
		}
		key := e.Function + " " + e.Prefix
		if other, ok := prefixes[key]; ok {
			bad("function %s already serves %s under prefix %q", e.Function, other, e.Prefix)
		}
		prefixes[key] = e.ID()
		if e.State != Active && e.State != "" {
			if e.Deprecated.IsZero() {
				bad("%s but no deprecated date", e.State)
			}
			if e.Migration == "" {
				bad("%s but no migration guide", e.State)
			} else if u, err := url.Parse(e.Migration); err != nil || u.Scheme != "https" || u.Host == "" {
				bad("migration %q: want an https URL", e.Migration)
			}
		}
		if (e.State == Sunset || e.State == Retired) && e.Sunset.IsZero() {
			bad("%s but no sunset date", e.State)
		}
		if !e.Sunset.IsZero() && !e.Deprecated.IsZero() && e.Sunset.Before(e.Deprecated.Time) {
			bad("sunset %s is before deprecated %s", e.Sunset.Format(time.DateOnly), e.Deprecated.Format(time.DateOnly))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Catalog{Entries: f.APIs}, nil
}

// Load reads name (catalog.yaml) from fsys and checks that every spec it
// names is there.
func Load(fsys fs.FS, name string) (*Catalog, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("apicatalog: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, e := range c.Entries {
		if _, err := fs.Stat(fsys, path.Join(path.Dir(name), e.Spec)); err != nil {
			errs = append(errs, fmt.Errorf("apicatalog: %s: spec: %w", e.ID(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// ForFunction returns the versions function serves, in catalog order.
func (c *Catalog) ForFunction(function string) []Entry {
	var out []Entry
	for _, e := range c.Entries {
		if e.Function == function {
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the entry of name and version.
func (c *Catalog) Lookup(name, version string) (Entry, bool) {
	for _, e := range c.Entries {
		if e.Name == name && e.Version == version {
			return e, true
		}
	}
	return Entry{}, false
}

// Match returns the entry of function that serves urlPath: the one with the
// longest prefix that urlPath equals or continues with "/".
func (c *Catalog) Match(function, urlPath string) (Entry, bool) {
	var best Entry
	found := false
	for _, e := range c.Entries {
		if e.Function != function {
			continue
		}
		if e.Prefix != "" && urlPath != e.Prefix && !strings.HasPrefix(urlPath, e.Prefix+"/") {
			continue
		}
		if !found || len(e.Prefix) > len(best.Prefix) {
			best, found = e, true
		}
	}
	return best, found
}

// StateAt is the state e is in at now: a deprecated or sunset version whose
// sunset date has passed is retired, whatever the file says.
func (e Entry) StateAt(now time.Time) State {
	if (e.State == Deprecated || e.State == Sunset) && !e.Sunset.IsZero() && !now.Before(e.Sunset.Time) {
		return Retired
	}
	return e.State
}
