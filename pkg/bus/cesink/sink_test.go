package cesink

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

func TestSinkPostsEachEventAndReportsFailures(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := cehttp.NewEventFromHTTPRequest(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if e.ID() == "reject" {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		got = append(got, e.ID()+" "+string(e.Data()))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	s, err := New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id string) cloudevents.Event {
		e := cloudevents.NewEvent()
		e.SetID(id)
		e.SetType("t")
		e.SetSource("s")
		_ = e.SetData(cloudevents.ApplicationJSON, map[string]int{"n": 1})
		return e
	}
	res, err := s.Publish(context.Background(), []cloudevents.Event{mk("a"), mk("reject"), mk("b")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != nil || res[1] == nil || res[2] != nil {
		t.Fatalf("results = %v", res)
	}
	if len(got) != 2 || got[0] != `a {"n":1}` || got[1] != `b {"n":1}` {
		t.Errorf("sink received %q", got)
	}
	if _, err := New("", nil); err == nil {
		t.Error("empty URL accepted")
	}
}
