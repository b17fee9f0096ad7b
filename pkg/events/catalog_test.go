package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	eventfiles "github.com/cogniforge/cogniforge/events"
	"github.com/cogniforge/cogniforge/pkg/events"
)

func newCatalog(t testing.TB) *events.Catalog {
	t.Helper()
	c, err := events.NewCatalog()
	if err != nil {
		t.Fatalf("NewCatalog: %v", err)
	}
	return c
}

// exampleFiles returns examples/<name> -> contents.
func exampleFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := fs.Glob(eventfiles.Files, eventfiles.ExamplesDir+"/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := fs.ReadFile(eventfiles.Files, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = b
	}
	return out
}

// exampleType is the type an example file is named after:
// examples/<type>[.<n>].json.
func exampleType(name string) string {
	base := strings.TrimSuffix(strings.TrimPrefix(name, eventfiles.ExamplesDir+"/"), ".json")
	if i := strings.LastIndex(base, "."); i > 0 && !strings.HasPrefix(base[i+1:], "v") {
		base = base[:i]
	}
	return base
}

func TestExamplesValidate(t *testing.T) {
	c := newCatalog(t)
	for name, b := range exampleFiles(t) {
		t.Run(name, func(t *testing.T) {
			e, err := events.Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if want := exampleType(name); e.Type() != want {
				t.Errorf("example %s holds type %q, its name says %q", name, e.Type(), want)
			}
			if err := c.Validate(e); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestCatalogCoverage(t *testing.T) {
	c := newCatalog(t)
	examples := map[string]bool{}
	for name := range exampleFiles(t) {
		examples[exampleType(name)] = true
	}
	consts := map[string]bool{}
	for _, typ := range events.AllTypes {
		consts[typ] = true
		if !c.Has(typ) {
			t.Errorf("constant %s has no schema events/schemas/%s.json", typ, typ)
		}
	}
	for _, typ := range c.Types() {
		if !examples[typ] {
			t.Errorf("schema %s has no example events/examples/%s.json", typ, typ)
		}
		if !consts[typ] {
			t.Errorf("schema %s has no constant in AllTypes", typ)
		}
		if len(c.Schema(typ)) == 0 {
			t.Errorf("Schema(%s) is empty", typ)
		}
	}
	if c.Schema("dev.cogniforge.nope.v1") != nil {
		t.Error("Schema of an unknown type is not nil")
	}
}

// validRequest returns a valid request.completed event to break in tests.
func validRequest(t testing.TB) cloudevents.Event {
	t.Helper()
	e, err := events.New(context.Background(), events.TypeRequestCompleted, "test/catalog",
		events.RequestCompleted{Service: "payments", Operation: "Charge", Status: events.StatusOK, DurationMs: 12.5},
		events.ID("11111111-2222-4333-8444-555555555555"),
		events.Time(time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestValidateNamesTheField(t *testing.T) {
	c := newCatalog(t)
	withData := func(data string) func(*cloudevents.Event) {
		return func(e *cloudevents.Event) { e.DataEncoded = []byte(data) }
	}
	tests := []struct {
		name   string
		mutate func(*cloudevents.Event)
		want   []events.FieldError
	}{
		{"valid", func(*cloudevents.Event) {}, nil},
		{"duration is a string", withData(`{"service":"a","operation":"b","status":"ok","durationMs":"12"}`),
			[]events.FieldError{{Field: "data.durationMs"}}},
		{"negative duration", withData(`{"service":"a","operation":"b","status":"ok","durationMs":-1}`),
			[]events.FieldError{{Field: "data.durationMs"}}},
		{"missing service and status", withData(`{"operation":"b","durationMs":1}`),
			[]events.FieldError{{Field: "data.service", Message: "is required"}, {Field: "data.status", Message: "is required"}}},
		{"status not in enum", withData(`{"service":"a","operation":"b","status":"500","durationMs":1}`),
			[]events.FieldError{{Field: "data.status"}}},
		{"unknown property", withData(`{"service":"a","operation":"b","status":"ok","durationMs":1,"duration_ms":1}`),
			[]events.FieldError{{Field: "data.duration_ms", Message: "is not a known property"}}},
		{"bad timestamp", withData(`{"service":"a","operation":"b","status":"ok","durationMs":1,"timestamp":"yesterday"}`),
			[]events.FieldError{{Field: "data.timestamp"}}},
		{"data not JSON", withData(`{"service":`), []events.FieldError{{Field: "data"}}},
		{"no data", withData(``), []events.FieldError{{Field: "data", Message: "is required"}}},
		{"unknown type", func(e *cloudevents.Event) { e.SetType("dev.cogniforge.nope.v1") },
			[]events.FieldError{{Field: "type", Message: `unknown event type "dev.cogniforge.nope.v1"`}}},
		{"empty correlation id", func(e *cloudevents.Event) { e.SetExtension("correlationid", "") },
			[]events.FieldError{{Field: "correlationid", Message: "must be a non-empty string"}}},
		{"bad traceparent", func(e *cloudevents.Event) { e.SetExtension("traceparent", "00-zz-01") },
			[]events.FieldError{{Field: "traceparent"}}},
		{"zero trace id", func(e *cloudevents.Event) {
			e.SetExtension("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")
		}, []events.FieldError{{Field: "traceparent"}}},
		{"wrong content type", func(e *cloudevents.Event) { e.SetDataContentType("text/plain") },
			[]events.FieldError{{Field: "datacontenttype"}}},
		{"no source and id", func(e *cloudevents.Event) {
			ec := e.Context.(*cloudevents.EventContextV1)
			ec.Source = cloudevents.URIRef{}
			ec.ID = ""
		}, []events.FieldError{{Field: "id", Message: "is required"}, {Field: "source", Message: "is required"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validRequest(t)
			tt.mutate(&e)
			err := c.Validate(e)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr *events.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want *ValidationError", err)
			}
			if errorName(err) != events.ErrInvalidEvent {
				t.Errorf("ErrorName = %q", errorName(err))
			}
			if len(verr.Fields) != len(tt.want) {
				t.Fatalf("fields = %+v, want %+v", verr.Fields, tt.want)
			}
			for i, w := range tt.want {
				got := verr.Fields[i]
				if got.Field != w.Field || (w.Message != "" && got.Message != w.Message) || got.Message == "" {
					t.Errorf("field %d = %+v, want %+v", i, got, w)
				}
				if !strings.Contains(err.Error(), w.Field) {
					t.Errorf("message %q does not name %s", err.Error(), w.Field)
				}
			}
		})
	}
}

// Producers may leave out time and correlationid, as CloudEvents allows;
// the gateway fills them in before it forwards.
func TestOptionalEnvelopeAttributes(t *testing.T) {
	c := newCatalog(t)
	e := validRequest(t)
	e.Context.(*cloudevents.EventContextV1).Time = nil
	delete(e.Context.(*cloudevents.EventContextV1).Extensions, "correlationid")
	if err := c.Validate(e); err != nil {
		t.Fatalf("event without time and correlationid: %v", err)
	}
	e.SetDataContentType("")
	if err := c.Validate(e); err != nil {
		t.Fatalf("event without datacontenttype (optional in CloudEvents): %v", err)
	}
}

func TestValidateNestedPaths(t *testing.T) {
	c := newCatalog(t)
	err := c.ValidateData(events.TypeSagaCompensated,
		[]byte(`{"sagaId":"s","failedStep":"x","compensatedSteps":["a",7],"error":{"message":"m"}}`))
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("ValidateData = %v", err)
	}
	got := map[string]bool{}
	for _, f := range verr.Fields {
		got[f.Field] = true
	}
	for _, want := range []string{"data.compensatedSteps[1]", "data.error.name"} {
		if !got[want] {
			t.Errorf("fields %+v do not name %s", verr.Fields, want)
		}
	}
}

func TestDecode(t *testing.T) {
	if _, err := events.Decode([]byte(`{"specversion":"1.0"`)); errorName(err) != events.ErrInvalidEvent {
		t.Errorf("Decode of truncated JSON = %v", err)
	}
	batch := `[` + string(exampleFiles(t)["examples/dev.cogniforge.request.completed.v1.json"]) + `,{"nope":1}]`
	_, err := events.DecodeBatch([]byte(batch))
	if err == nil || !strings.Contains(err.Error(), "[1]") {
		t.Errorf("DecodeBatch = %v, want an error naming [1]", err)
	}
}

func TestCatalogRejectsBadSchemas(t *testing.T) {
	tests := map[string]string{
		"Bad.json":                   `{"$id":"x"}`,
		"dev.cogniforge.a.b.v1.json": `{"$id":"https://wrong/"}`,
		"dev.cogniforge.c.d.v1.json": `{"$id":"https://schemas.cogniforge.dev/events/dev.cogniforge.c.d.v1.json","type":"nope"}`,
		"dev.cogniforge.e.f.v1.json": `not json`,
	}
	fsys := mapFS(tests)
	_, err := events.NewCatalogFS(fsys)
	if err == nil {
		t.Fatal("NewCatalogFS accepted bad schemas")
	}
	for name := range tests {
		if !strings.Contains(err.Error(), strings.TrimSuffix(name, ".json")) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestValidateConcurrently(t *testing.T) {
	c := newCatalog(t)
	good := validRequest(t)
	bad := good.Clone()
	bad.DataEncoded = []byte(`{"service":1}`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if err := c.Validate(good); err != nil {
					t.Error(err)
					return
				}
				if err := c.Validate(bad); err == nil {
					t.Error("bad event validated")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkValidateRequestCompleted(b *testing.B) {
	c := newCatalog(b)
	e := validRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Validate(e); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeValidate: any input decodes or is refused as an invalid event;
// a decoded event validates or gets named, JSON-encodable problems, and the
// problems of its data are exactly those jsonschema, the reference
// validator, finds.
func FuzzDecodeValidate(f *testing.F) {
	for _, b := range exampleFiles(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"dev.cogniforge.request.completed.v1","data":{"durationMs":"x"}}`))
	f.Add([]byte(`[{"specversion":"1.0"}]`))
	f.Add([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"dev.cogniforge.saga.started.v1","data_base64":"e30="}`))
	c := newCatalog(f)
	reference := events.ReferenceDescriber(f, c)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := events.Decode(b)
		if err != nil {
			if errorName(err) != events.ErrInvalidEvent {
				t.Fatalf("Decode error %v is not named %s", err, events.ErrInvalidEvent)
			}
			_, _ = events.DecodeBatch(b)
			return
		}
		err = c.Validate(e)
		// The data's problems are those jsonschema, the reference, finds.
		if data := e.Data(); c.Has(e.Type()) && len(data) > 0 && utf8.Valid(data) {
			var got []events.FieldError
			var verr *events.ValidationError
			if errors.As(err, &verr) {
				for _, fe := range verr.Fields {
					if fe.Field == "data" || strings.HasPrefix(fe.Field, "data.") || strings.HasPrefix(fe.Field, "data[") {
						got = append(got, fe)
					}
				}
			}
			twice := len(got) == 1 && got[0].Message == "gives a property twice"
			if want := reference(e.Type(), data); !twice && !events.SameProblems(got, want) {
				t.Fatalf("data %q of %s: problems %v, jsonschema %v", data, e.Type(), got, want)
			}
		}
		if err == nil {
			return
		}
		var verr *events.ValidationError
		if !errors.As(err, &verr) || len(verr.Fields) == 0 {
			t.Fatalf("Validate = %v, want a *ValidationError with fields", err)
		}
		for _, fe := range verr.Fields {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("field error without field or message: %+v", fe)
			}
		}
		if _, err := json.Marshal(verr); err != nil {
			t.Fatal(err)
		}
	})
}
