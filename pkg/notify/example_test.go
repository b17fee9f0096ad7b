package notify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/cogniforge/cogniforge/pkg/notify"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
)

// An escalation step pages alice through a signed webhook. The receiver
// checks the signature with Verify; the step is redelivered (a queue
// retry), and the page is not sent again. Each outcome goes to the
// incident's timeline through Config.Outcome.
func Example() {
	secret := []byte("shared-secret")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := notify.Verify(secret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature), time.Now(), time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Println("receiver: verified page for", r.Header.Get(notify.HeaderIdempotencyKey))
	}))
	defer receiver.Close()

	cfgs, err := notify.ParseChannels([]byte(`
channels:
  - {name: oncall-hook, type: webhook, url: "` + receiver.URL + `", secretEnv: HOOK_SECRET}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	env := map[string]string{"HOOK_SECRET": string(secret)} // the wiring passes os.Getenv
	ch, err := notify.Build(cfgs[0], notify.Deps{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		fmt.Println(err)
		return
	}

	n, err := notify.New(notify.Config{
		Store: memory.New(memory.Config{}),
		Outcome: func(_ context.Context, m notify.Message, r notify.Result) {
			fmt.Printf("timeline: %s on %s: %s after %d attempt(s)\n", m.IncidentID, r.Channel, r.Status, r.Attempts)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := notify.Message{
		Key:        notify.MessageKey("INC-7", 1, "alice", ch.Name(), notify.ActionTrigger),
		Action:     notify.ActionTrigger,
		IncidentID: "INC-7",
		Title:      "checkout error budget burning",
		Service:    "checkout",
		Severity:   notify.SEV2,
		Target:     "alice",
	}
	for range 2 { // the second is a redelivery of the same step
		if _, err := n.Deliver(context.Background(), ch, msg); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// receiver: verified page for INC-7/1/alice/oncall-hook/trigger
	// timeline: INC-7 on oncall-hook: delivered after 1 attempt(s)
	// timeline: INC-7 on oncall-hook: duplicate after 0 attempt(s)
}

// A receiver of the signed webhook: read the raw body first, verify, then
// decode. Requests older (or newer) than the tolerance are refused, so a
// captured request cannot be replayed.
func ExampleVerify() {
	secret := []byte("shared-secret")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		err = notify.Verify(secret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature), time.Now(), 5*time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// A request signed now passes; the same request from an hour ago fails.
	body := []byte(`{"key":"INC-7/1/alice/hook/trigger","action":"trigger"}`)
	for _, at := range []time.Time{time.Now(), time.Now().Add(-time.Hour)} {
		ts := fmt.Sprint(at.Unix())
		req := httptest.NewRequest(http.MethodPost, "/hooks/incidents", bytes.NewReader(body))
		req.Header.Set(notify.HeaderTimestamp, ts)
		req.Header.Set(notify.HeaderSignature, notify.Sign(secret, ts, body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 204
	// 401
}
