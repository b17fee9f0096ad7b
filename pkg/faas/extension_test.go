package faas_test

import (
	"fmt"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Extension answers what ev.Extensions()[name] answers, for every context
// version and for an event without one.
func TestExtension(t *testing.T) {
	v1 := cloudevents.NewEvent()
	v1.SetExtension("correlationid", "c-1")
	v1.SetExtension("count", 2)
	v03 := cloudevents.NewEvent(cloudevents.VersionV03)
	v03.SetExtension("correlationid", "c-3")
	tests := []struct {
		name   string
		ev     cloudevents.Event
		ext    string
		want   any
		wantOK bool
	}{
		{"v1 string", v1, "correlationid", "c-1", true},
		{"v1 integer", v1, "count", int32(2), true},
		{"v1 absent", v1, "traceparent", nil, false},
		{"v1 none at all", cloudevents.NewEvent(), "correlationid", nil, false},
		{"v0.3", v03, "correlationid", "c-3", true},
		{"no context", cloudevents.Event{}, "correlationid", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := faas.Extension(tt.ev, tt.ext)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Extension = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
			if tt.ev.Context != nil {
				if want, wantOK := tt.ev.Extensions()[tt.ext]; got != want || ok != wantOK {
					t.Errorf("Extension = %v, %v; Extensions() says %v, %v", got, ok, want, wantOK)
				}
			}
		})
	}
}

// Reading one extension on a hot path: no copy of the extension map.
func ExampleExtension() {
	ev := cloudevents.NewEvent()
	ev.SetExtension("correlationid", "order-7")
	v, ok := faas.Extension(ev, "correlationid")
	fmt.Println(v, ok)
	_, ok = faas.Extension(ev, "traceparent")
	fmt.Println(ok)
	// Output:
	// order-7 true
	// false
}
