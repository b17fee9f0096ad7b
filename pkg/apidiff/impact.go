package apidiff

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/events"
)

// UnknownCaller names the calls whose request.completed event carries no
// caller (recorded before callers were, or by a producer that does not
// know them).
const UnknownCaller = "(unknown)"

// Call is one served request, as a request.completed event reports it.
type Call struct {
	// Service is the API (the catalog name) or function that served it.
	Service string
	// Operation is "METHOD /path" (a template or a concrete path) or an
	// operationId.
	Operation string
	// Caller identifies the client; empty when unknown.
	Caller string
	// At is when the call completed.
	At time.Time
	// Count is how many calls this stands for (a tally); 0 means 1.
	Count int
}

// CallerUsage is how much one client used an operation.
type CallerUsage struct {
	Caller   string    `json:"caller"`
	Calls    int       `json:"calls"`
	LastSeen time.Time `json:"lastSeen"`
}

// CallFromEvent reads a request.completed event; ok is false for events
// of other types. The call's time is the data's timestamp, or the event's
// time when it has none.
func CallFromEvent(ev cloudevents.Event) (c Call, ok bool, err error) {
	if ev.Type() != events.TypeRequestCompleted {
		return Call{}, false, nil
	}
	var d events.RequestCompleted
	if err := ev.DataAs(&d); err != nil {
		return Call{}, false, fmt.Errorf("event %s: data: %w", ev.ID(), err)
	}
	at := ev.Time()
	if d.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, d.Timestamp)
		if err != nil {
			return Call{}, false, fmt.Errorf("event %s: data.timestamp: %w", ev.ID(), err)
		}
		at = t
	}
	return Call{Service: d.Service, Operation: d.Operation, Caller: d.Caller, At: at}, true, nil
}

// ErrTraffic is a traffic file that cannot be read; the error names the
// line.
var ErrTraffic = errors.New("traffic")

// ReadTraffic reads captured events, one structured-mode CloudEvent a line
// (what `cogniforge events query` prints), and returns the calls of the
// request.completed ones. Blank lines and other event types are skipped; a
// line that is not a CloudEvent is an error wrapping ErrTraffic.
func ReadTraffic(r io.Reader) ([]Call, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var calls []Call
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ev := cloudevents.NewEvent()
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTraffic, n, err)
		}
		c, ok, err := CallFromEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrTraffic, n, err)
		}
		if ok {
			calls = append(calls, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTraffic, err)
	}
	return calls, nil
}

// AddImpact names, on each breaking change, the callers that used its
// operation at or after since: calls of service api whose operation is the
// change's "METHOD /path" (or a concrete path the template matches) or its
// operationId. Changes with no operation get no callers; a change nobody
// called gets an empty, non-nil list. Callers come busiest first.
func (r *Result) AddImpact(api string, calls []Call, since time.Time) {
	for i := range r.Breaking {
		ch := &r.Breaking[i]
		if ch.Operation == "" {
			continue
		}
		by := map[string]*CallerUsage{}
		for _, c := range calls {
			if c.Service != api || c.At.Before(since) || !OperationMatches(ch.Operation, ch.OperationID, c.Operation) {
				continue
			}
			name := c.Caller
			if name == "" {
				name = UnknownCaller
			}
			u := by[name]
			if u == nil {
				u = &CallerUsage{Caller: name}
				by[name] = u
			}
			n := c.Count
			if n <= 0 {
				n = 1
			}
			u.Calls += n
			if c.At.After(u.LastSeen) {
				u.LastSeen = c.At
			}
		}
		ch.Callers = make([]CallerUsage, 0, len(by))
		for _, u := range by {
			u.LastSeen = u.LastSeen.UTC()
			ch.Callers = append(ch.Callers, *u)
		}
		sort.Slice(ch.Callers, func(i, j int) bool {
			a, b := ch.Callers[i], ch.Callers[j]
			if a.Calls != b.Calls {
				return a.Calls > b.Calls
			}
			return a.Caller < b.Caller
		})
	}
}

// OperationMatches reports whether a recorded operation (from a
// request.completed event) is the spec operation "METHOD /template" with
// the given operationId: the same method and template, a concrete path the
// template matches ({id} matches one segment), or the operationId itself.
func OperationMatches(specOp, operationID, recorded string) bool {
	recorded = strings.TrimSpace(recorded)
	if recorded == "" {
		return false
	}
	if operationID != "" && recorded == operationID {
		return true
	}
	sm, sp, ok := strings.Cut(specOp, " ")
	if !ok {
		return false
	}
	rm, rp, ok := strings.Cut(recorded, " ")
	if !ok || !strings.EqualFold(sm, rm) {
		return false
	}
	rp = strings.TrimSpace(rp)
	if i := strings.IndexAny(rp, "?#"); i >= 0 {
		rp = rp[:i]
	}
	if rp == sp {
		return true
	}
	ts, cs := strings.Split(strings.Trim(sp, "/"), "/"), strings.Split(strings.Trim(rp, "/"), "/")
	if len(ts) != len(cs) {
		return false
	}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if cs[i] == "" {
				return false
			}
			continue
		}
		if t != cs[i] {
			return false
		}
	}
	return true
}
