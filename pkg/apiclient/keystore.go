package apiclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// KeyPartition is the store partition of the API key registry: one item
// per key, its Sort the key's HashKey.
const KeyPartition = "apikeys"

// KeyPrefix starts every key KeyStore creates, so a leaked key is
// recognisable (secret scanners, logs).
const KeyPrefix = "cfk_"

// DefaultKeyCacheTTL is how long KeyStore remembers a lookup.
const DefaultKeyCacheTTL = 30 * time.Second

// Errors of KeyStore.
var (
	ErrInvalidClient = errors.New("apiclient: invalid client")
	ErrNoSuchKey     = errors.New("apiclient: no such key")
)

// KeyRecord is what the registry stores of one key: never the key.
type KeyRecord struct {
	// ID is the first 12 hex digits of the key's hash: how operators name
	// a key (list, revoke) without holding it.
	ID      string    `json:"id"`
	Hash    string    `json:"hash"`
	Client  string    `json:"client"`
	Class   Class     `json:"class"`
	Created time.Time `json:"created"`
}

// KeyStoreConfig configures a KeyStore.
type KeyStoreConfig struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheTTL is how long a lookup (found or not) is remembered in
	// process, so a request costs no store read: a revoked key keeps
	// working, and a new key stays unknown, for at most CacheTTL on an
	// instance that looked it up. Zero means DefaultKeyCacheTTL; negative,
	// no cache.
	CacheTTL time.Duration
}

// KeyStore is the API key registry in the store (Keys for the Identifier).
// Keys are stored only as their SHA-256 (HashKey); Create returns the key
// once. It is safe for concurrent use.
type KeyStore struct {
	st  store.Store
	now func() time.Time
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]cachedKey
}

type cachedKey struct {
	key   Key
	found bool
	until time.Time
}

var _ Keys = (*KeyStore)(nil)

// NewKeyStore returns the registry in st.
func NewKeyStore(st store.Store, cfg KeyStoreConfig) *KeyStore {
	k := &KeyStore{st: st, now: cfg.Now, ttl: cfg.CacheTTL, cache: map[string]cachedKey{}}
	if k.now == nil {
		k.now = time.Now
	}
	if k.ttl == 0 {
		k.ttl = DefaultKeyCacheTTL
	}
	return k
}

// Create registers a new key for client with class (authenticated or
// premium) and returns the key, which is not stored and cannot be shown
// again.
func (k *KeyStore) Create(ctx context.Context, client string, class Class) (string, KeyRecord, error) {
	client = strings.TrimSpace(client)
	var errs []error
	if client == "" || strings.ContainsAny(client, " \t\r\n#") || len(client) > 128 {
		errs = append(errs, fmt.Errorf("%w: client %q: want 1 to 128 characters, no spaces or '#'", ErrInvalidClient, client))
	}
	if class != Authenticated && class != Premium {
		errs = append(errs, fmt.Errorf("%w: class %q: want %s or %s", ErrInvalidClient, class, Authenticated, Premium))
	}
	if err := errors.Join(errs...); err != nil {
		return "", KeyRecord{}, err
	}
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never returns an error
	key := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	h := HashKey(key)
	rec := KeyRecord{ID: h[:12], Hash: h, Client: client, Class: class, Created: k.now().UTC()}
	val, err := json.Marshal(rec)
	if err != nil {
		return "", KeyRecord{}, err
	}
	if _, err := k.st.Put(ctx, store.Item{Key: store.Key{Partition: KeyPartition, Sort: h}, Value: val}, store.Condition{IfAbsent: true}); err != nil {
		return "", KeyRecord{}, fmt.Errorf("apiclient: store key: %w", err)
	}
	return key, rec, nil
}

// List returns every key's record, by ID.
func (k *KeyStore) List(ctx context.Context) ([]KeyRecord, error) {
	items, err := k.st.Query(ctx, KeyPartition, "", 0)
	if err != nil {
		return nil, fmt.Errorf("apiclient: list keys: %w", err)
	}
	out := make([]KeyRecord, 0, len(items))
	for _, it := range items {
		var rec KeyRecord
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return nil, fmt.Errorf("apiclient: key %s: %w", it.Key.Sort, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// Revoke deletes the keys whose ID (or hash) starts with id, or, with
// id empty, every key of client, and returns the records revoked. Nothing
// matching is ErrNoSuchKey; an id prefix matching several keys is refused.
func (k *KeyStore) Revoke(ctx context.Context, id, client string) ([]KeyRecord, error) {
	if (id == "") == (client == "") {
		return nil, fmt.Errorf("%w: name a key id or a client, not both or neither", ErrInvalidClient)
	}
	all, err := k.List(ctx)
	if err != nil {
		return nil, err
	}
	var hit []KeyRecord
	for _, r := range all {
		if (id != "" && strings.HasPrefix(r.Hash, strings.ToLower(id))) || (client != "" && r.Client == client) {
			hit = append(hit, r)
		}
	}
	switch {
	case len(hit) == 0:
		return nil, fmt.Errorf("%w: id %q client %q", ErrNoSuchKey, id, client)
	case id != "" && len(hit) > 1:
		return nil, fmt.Errorf("%w: id %q matches %d keys: give more digits", ErrInvalidClient, id, len(hit))
	}
	for _, r := range hit {
		if err := k.st.Delete(ctx, store.Key{Partition: KeyPartition, Sort: r.Hash}, store.Condition{}); err != nil {
			return nil, fmt.Errorf("apiclient: revoke key %s: %w", r.ID, err)
		}
		k.mu.Lock()
		delete(k.cache, r.Hash)
		k.mu.Unlock()
	}
	return hit, nil
}

// LookupKey implements Keys, remembering the answer for CacheTTL.
func (k *KeyStore) LookupKey(ctx context.Context, keyHash string) (Key, bool, error) {
	now := k.now()
	if k.ttl > 0 {
		k.mu.Lock()
		c, ok := k.cache[keyHash]
		k.mu.Unlock()
		if ok && now.Before(c.until) {
			return c.key, c.found, nil
		}
	}
	it, err := k.st.Get(ctx, store.Key{Partition: KeyPartition, Sort: keyHash})
	var key Key
	found := true
	switch {
	case errors.Is(err, store.ErrNotFound):
		found = false
	case err != nil:
		return Key{}, false, err
	default:
		var rec KeyRecord
		if err := json.Unmarshal(it.Value, &rec); err != nil {
			return Key{}, false, fmt.Errorf("apiclient: key record: %w", err)
		}
		key = Key{Client: rec.Client, Class: rec.Class}
	}
	if k.ttl > 0 {
		k.mu.Lock()
		if len(k.cache) >= 10000 { // unknown keys are attacker-chosen: bound the cache
			clear(k.cache)
		}
		k.cache[keyHash] = cachedKey{key: key, found: found, until: now.Add(k.ttl)}
		k.mu.Unlock()
	}
	return key, found, nil
}
