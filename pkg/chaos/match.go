package chaos

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// fieldPath splits a matcher's field into its attribute and data path.
func fieldPath(field string) ([]string, error) {
	switch field {
	case "type", "source", "subject", "id":
		return []string{field}, nil
	}
	if rest, ok := strings.CutPrefix(field, "data."); ok && rest != "" {
		parts := strings.Split(rest, ".")
		for _, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("field %q has an empty key", field)
			}
		}
		return append([]string{"data"}, parts...), nil
	}
	if field == "data" {
		return []string{"data"}, nil
	}
	return nil, fmt.Errorf("field %q is not type, source, subject, id or data.<path>", field)
}

// compiledMatcher is a Matcher ready to run.
type compiledMatcher struct {
	path []string
	op   string
	val  string
	re   *regexp.Regexp
}

func compileMatcher(m Matcher) (compiledMatcher, error) {
	path, err := fieldPath(m.Field)
	if err != nil {
		return compiledMatcher{}, err
	}
	c := compiledMatcher{path: path, op: m.Op, val: m.Value}
	if m.Op == OpRegex {
		if c.re, err = regexp.Compile(m.Value); err != nil {
			return compiledMatcher{}, err
		}
	}
	return c, nil
}

// eventView decodes an event's data once for all matchers.
type eventView struct {
	ev      *cloudevents.Event
	decoded bool
	data    any
}

func (v *eventView) lookup(path []string) (string, bool) {
	switch path[0] {
	case "type":
		return v.ev.Type(), true
	case "source":
		return v.ev.Source(), true
	case "subject":
		s := v.ev.Subject()
		return s, s != ""
	case "id":
		return v.ev.ID(), true
	}
	if !v.decoded {
		v.decoded = true
		if err := json.Unmarshal(v.ev.Data(), &v.data); err != nil {
			v.data = nil
		}
	}
	cur := v.data
	for _, key := range path[1:] {
		switch node := cur.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				return "", false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(node) {
				return "", false
			}
			cur = node[i]
		default:
			return "", false
		}
	}
	if cur == nil {
		return "", len(path) > 1 // a JSON null exists; missing data does not
	}
	if s, ok := cur.(string); ok {
		return s, true
	}
	b, _ := json.Marshal(cur)
	return string(b), true
}

func (c compiledMatcher) match(v *eventView) bool {
	got, ok := v.lookup(c.path)
	if !ok {
		return false
	}
	switch c.op {
	case OpExists:
		return true
	case OpEquals:
		return got == c.val
	case OpPrefix:
		return strings.HasPrefix(got, c.val)
	case OpRegex:
		return c.re.MatchString(got)
	}
	return false
}
