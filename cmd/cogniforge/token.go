package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// EnvAPIToken is the bearer token the local runtime asks of callers of
// protected functions (the incident API), and the one the CLI sends.
const EnvAPIToken = "COGNIFORGE_API_TOKEN"

// APITokenFile holds the runtime's token in its data directory (0600), so
// the CLI on the same machine finds it with --data-dir.
const APITokenFile = "api.token"

type apiToken struct{ token string }

// newAPIToken is $COGNIFORGE_API_TOKEN, else the data directory's token,
// else a new random one written there (or kept in memory without a data
// directory, and logged so a caller can use it).
func newAPIToken(dataDir string, logger *slog.Logger) (*apiToken, error) {
	if t := os.Getenv(EnvAPIToken); t != "" {
		return &apiToken{token: t}, nil
	}
	if dataDir != "" {
		if b, err := os.ReadFile(filepath.Join(dataDir, APITokenFile)); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return &apiToken{token: strings.TrimSpace(string(b))}, nil
		}
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	t := &apiToken{token: hex.EncodeToString(raw[:])}
	if dataDir == "" {
		logger.Info("cogniforge: protected functions (incident API) take this bearer token; set "+EnvAPIToken+" to choose it",
			"token", t.token)
		return t, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dataDir, APITokenFile), []byte(t.token+"\n"), 0o600); err != nil {
		return nil, err
	}
	return t, nil
}

var errNoToken = errors.New("this function needs `Authorization: Bearer <token>`: $" + EnvAPIToken + ", or the data directory's " + APITokenFile)

func (a *apiToken) check(r *http.Request) error {
	h := r.Header.Get("Authorization")
	got, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(a.token)) != 1 {
		return errNoToken
	}
	return nil
}

// callerToken is the token the CLI sends: $COGNIFORGE_API_TOKEN, else the
// data directory's.
func callerToken(dataDir string) string {
	if t := os.Getenv(EnvAPIToken); t != "" {
		return t
	}
	if dataDir != "" {
		if b, err := os.ReadFile(filepath.Join(dataDir, APITokenFile)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}
