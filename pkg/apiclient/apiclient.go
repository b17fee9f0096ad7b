// Package apiclient says who is calling an HTTP API: a client identified by
// API key (looked up, by its SHA-256, in a Keys registry), by the IAM
// principal AWS authenticated on the function URL, or an anonymous caller
// known by address. Rate limits, lifecycle counters and client-impact
// reports all key on the Client it returns. The Middleware puts the Client
// in the request context; FromContext reads it.
//
// API keys are never stored or logged: only their SHA-256 is looked up,
// and a client's ID is the registry's name for it, not the key.
package apiclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/faas"
)

// Class is a client class; rate-limit policies are set per class.
type Class string

// The client classes.
const (
	Anonymous     Class = "anonymous"     // no credentials
	Authenticated Class = "authenticated" // a known API key or an IAM principal
	Premium       Class = "premium"       // a key registered as premium
)

// Classes lists every class.
var Classes = []Class{Anonymous, Authenticated, Premium}

// Valid reports whether c is one of Classes.
func (c Class) Valid() bool {
	for _, v := range Classes {
		if c == v {
			return true
		}
	}
	return false
}

// How a client was identified.
const (
	ViaAPIKey    = "api-key"
	ViaIAM       = "iam"
	ViaAnonymous = "anonymous"
)

// Client is the caller of one request.
type Client struct {
	// ID names the client: the registry's client name for an API key,
	// "iam:<principal ARN>" for IAM, "anon:<address>" for the anonymous.
	ID    string `json:"id"`
	Class Class  `json:"class"`
	Via   string `json:"via"`
}

// Headers the identity is read from.
const (
	// APIKeyHeader carries an API key (also accepted: "Authorization: ApiKey <key>").
	APIKeyHeader = "X-Api-Key"
	// PrincipalHeader carries the IAM principal the Lambda function URL
	// authenticated (requestContext.authorizer.iam.userArn). The Lambda
	// adapter sets it and drops any copy a caller sent; on other platforms
	// TrustPrincipalHeader must stay false unless a proxy sets it.
	PrincipalHeader = "X-Cogniforge-Principal"
)

// Key is what the registry knows of one API key.
type Key struct {
	Client string `json:"client"`
	Class  Class  `json:"class"`
}

// Keys looks API keys up by the hex SHA-256 of the key.
type Keys interface {
	LookupKey(ctx context.Context, keyHash string) (Key, bool, error)
}

// HashKey is the registry's name for key: its hex SHA-256.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ErrUnknownKey is returned for an API key the registry does not know.
var ErrUnknownKey = errors.New("unknown API key")

// Identifier identifies callers.
type Identifier struct {
	// Keys is the API key registry; nil means no key is known (every key
	// presented is refused).
	Keys Keys
	// TrustPrincipalHeader accepts PrincipalHeader as an authenticated
	// IAM principal: true where the platform sets it (the Lambda adapter).
	TrustPrincipalHeader bool
}

// Identify returns the caller of r. A presented key that the registry does
// not know is an error (ErrUnknownKey), not an anonymous call: a client
// with a revoked key must learn it, not be silently downgraded.
func (id Identifier) Identify(r *http.Request) (Client, error) {
	if key := presentedKey(r); key != "" {
		if id.Keys == nil {
			return Client{}, ErrUnknownKey
		}
		k, ok, err := id.Keys.LookupKey(r.Context(), HashKey(key))
		if err != nil {
			return Client{}, fmt.Errorf("apiclient: look up API key: %w", err)
		}
		if !ok {
			return Client{}, ErrUnknownKey
		}
		class := k.Class
		if !class.Valid() || class == Anonymous {
			class = Authenticated
		}
		return Client{ID: k.Client, Class: class, Via: ViaAPIKey}, nil
	}
	if id.TrustPrincipalHeader {
		if p := r.Header.Get(PrincipalHeader); p != "" {
			return Client{ID: "iam:" + p, Class: Authenticated, Via: ViaIAM}, nil
		}
	}
	return Client{ID: "anon:" + address(r), Class: Anonymous, Via: ViaAnonymous}, nil
}

func presentedKey(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get(APIKeyHeader)); k != "" {
		return k
	}
	if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "ApiKey") {
		return strings.TrimSpace(rest)
	}
	return ""
}

// address is the caller's IP without the port ("unknown" when absent).
func address(r *http.Request) string {
	a := r.RemoteAddr
	if host, _, err := net.SplitHostPort(a); err == nil {
		a = host
	}
	if a == "" {
		return "unknown"
	}
	return a
}

type ctxKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the client Middleware identified, if any.
func FromContext(ctx context.Context) (Client, bool) {
	c, ok := ctx.Value(ctxKey{}).(Client)
	return c, ok
}

// Middleware identifies every request's caller and puts the Client in its
// context. A request with an unknown API key is answered 401 with a
// problem body; a registry failure, 503.
func (id Identifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := id.Identify(r)
		switch {
		case errors.Is(err, ErrUnknownKey):
			w.Header().Set("WWW-Authenticate", `ApiKey realm="cogniforge"`)
			faas.WriteProblem(w, faas.Problem{Type: "urn:cogniforge:error:Unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized,
				Detail: "the API key presented is not known (revoked or mistyped)", ErrorType: "Unauthorized"})
			return
		case err != nil:
			faas.WriteProblem(w, faas.Problem{Type: "urn:cogniforge:error:Unavailable", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
				Detail: err.Error(), ErrorType: "Unavailable"})
			return
		}
		next.ServeHTTP(w, r.WithContext(WithClient(r.Context(), c)))
	})
}
