package faas

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
)

// Validate reports every problem with fn's declaration: a missing name or
// handler, and routes without a path starting with "/", without an event
// type, or whose pattern net/http's ServeMux refuses (NewHTTPHandler would
// panic on those, as http.Handle does).
func (fn Function) Validate() error {
	var errs []error
	if strings.TrimSpace(fn.Name) == "" {
		errs = append(errs, errors.New("faas: Function.Name is required"))
	}
	if fn.Handler == nil {
		errs = append(errs, fmt.Errorf("faas: function %q: Handler is required", fn.Name))
	}
	mux := http.NewServeMux()
	for i, r := range fn.Routes {
		if !strings.HasPrefix(r.Path, "/") {
			errs = append(errs, fmt.Errorf("faas: function %q: route %d: path %q must start with /", fn.Name, i, r.Path))
			continue
		}
		if r.EventType == "" {
			errs = append(errs, fmt.Errorf("faas: function %q: route %d (%s): EventType is required", fn.Name, i, r.Path))
		}
		if err := tryHandle(mux, RoutePattern(r)); err != nil {
			errs = append(errs, fmt.Errorf("faas: function %q: route %d: %w", fn.Name, i, err))
		}
	}
	return errors.Join(errs...)
}

// RoutePattern is the net/http ServeMux pattern of a route: "METHOD /path",
// or the path alone when the route takes any method.
func RoutePattern(r Route) string {
	if r.Method != "" {
		return strings.ToUpper(r.Method) + " " + r.Path
	}
	return r.Path
}

func tryHandle(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pattern %q: %v", pattern, r)
		}
	}()
	mux.Handle(pattern, http.NotFoundHandler())
	return nil
}

// JSONReply is the reply event of a JSON route or task: v as JSON data, id
// "<request id>/reply", type "<request type>.reply", from source at now.
// The HTTP adapters write its data back as the response body.
func JSONReply(req cloudevents.Event, source string, now time.Time, v any) (*cloudevents.Event, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := cloudevents.New()
	out.SetID(req.ID() + "/reply")
	out.SetSource(source)
	out.SetType(req.Type() + ".reply")
	out.SetTime(now)
	if err := out.SetData("application/json", json.RawMessage(b)); err != nil {
		return nil, err
	}
	return &out, nil
}
