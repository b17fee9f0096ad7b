package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/notify"
)

// EnvWebhookSecret is the secret the local runtime's webhook inbox checks
// signatures with, the one config/oncall/channels.yaml's webhook channel
// signs with (secretEnv).
const EnvWebhookSecret = "COGNIFORGE_WEBHOOK_SECRET"

// inbox is the local runtime's webhook receiver (POST /hooks/...): it
// checks each request's HMAC signature as a real receiver must
// (notify.Verify), keeps the last deliveries for GET /hooks and logs them,
// so `make run` shows an incident's notifications without any outside
// service.
type inbox struct {
	secret []byte
	logger *slog.Logger

	mu   sync.Mutex
	seen []hookDelivery
}

type hookDelivery struct {
	At   time.Time       `json:"at"`
	Path string          `json:"path"`
	Key  string          `json:"key"`
	Body json.RawMessage `json:"body"`
}

const inboxKeep = 200

func newInbox(logger *slog.Logger) *inbox {
	return &inbox{secret: []byte(os.Getenv(EnvWebhookSecret)), logger: logger}
}

func (in *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		in.mu.Lock()
		list := append([]hookDelivery{}, in.seen...)
		in.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"deliveries": list})
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST a signed webhook, or GET /hooks", http.StatusMethodNotAllowed)
		return
	}
	if len(in.secret) == 0 {
		http.Error(w, "the local webhook inbox has no secret: set "+EnvWebhookSecret, http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if err := notify.Verify(in.secret, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature), time.Now(), 5*time.Minute); err != nil {
		in.logger.Warn("cogniforge: webhook refused", "path", r.URL.Path, "error", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	d := hookDelivery{At: time.Now().UTC(), Path: r.URL.Path, Key: r.Header.Get(notify.HeaderIdempotencyKey)}
	if json.Valid(body) {
		d.Body = body
	} else {
		d.Body, _ = json.Marshal(string(body))
	}
	in.mu.Lock()
	in.seen = append(in.seen, d)
	if len(in.seen) > inboxKeep {
		in.seen = in.seen[len(in.seen)-inboxKeep:]
	}
	in.mu.Unlock()
	in.logger.Info("cogniforge: webhook received", "path", r.URL.Path, "key", d.Key)
	w.WriteHeader(http.StatusNoContent)
}
