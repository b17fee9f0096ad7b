package secrets

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// KeyEnv is the environment variable the wiring reads FileVault's key
// from; the core reads no environment itself.
const KeyEnv = "COGNIFORGE_VAULT_KEY"

// ParseKey decodes a 32-byte AES-256 key, base64 or hex, that came from
// the environment variable source (named in errors so the operator knows
// what to fix): secrets.ParseKey(secrets.KeyEnv, os.Getenv(secrets.KeyEnv)).
func ParseKey(source, value string) ([]byte, error) {
	s := strings.TrimSpace(value)
	if s == "" {
		return nil, fmt.Errorf("secrets: %s is not set: it must hold a 32-byte key, base64 or hex (e.g. openssl rand -base64 32)", source)
	}
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, fmt.Errorf("secrets: %s must be a 32-byte key in base64 (44 characters) or hex (64 characters); got %d characters", source, len(s))
}

// FileVault is the local Vault: one file encrypted with AES-256-GCM, with
// versions and staging labels that behave like Secrets Manager's. Every
// change rewrites the file atomically; a mutex makes it safe for
// concurrent use within a process (one process owns the file).
type FileVault struct {
	mu   sync.Mutex
	path string
	aead cipher.AEAD
	doc  vaultDoc
	now  func() time.Time
}

// FileVaultOption tunes OpenFileVault.
type FileVaultOption func(*FileVault)

// VaultClock sets the clock that dates creations and rotations (tests pass
// a fake clock's Now); the default is time.Now.
func VaultClock(now func() time.Time) FileVaultOption {
	return func(v *FileVault) { v.now = now }
}

type vaultDoc struct {
	Secrets map[string]*fileSecret `json:"secrets"`
}

type fileSecret struct {
	RotationEnabled bool                    `json:"rotationEnabled"`
	Versions        map[string]*fileVersion `json:"versions"`
	Rules           RotationRules           `json:"rotationRules,omitzero"`
	Created         time.Time               `json:"created,omitzero"`
	LastRotated     time.Time               `json:"lastRotated,omitzero"`
}

type fileVersion struct {
	Value  []byte   `json:"value,omitempty"` // nil: a rotation stub with no value yet
	Stages []string `json:"stages"`
}

// OpenFileVault opens (or, when absent, starts) the vault at path with a
// 32-byte key.
func OpenFileVault(path string, key []byte, opts ...FileVaultOption) (*FileVault, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secrets: file vault key must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	v := &FileVault{path: path, aead: aead, doc: vaultDoc{Secrets: map[string]*fileSecret{}}, now: time.Now}
	for _, o := range opts {
		o(v)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	if len(data) < ns {
		return nil, fmt.Errorf("secrets: %s is not a vault file (too short)", path)
	}
	plain, err := aead.Open(nil, data[:ns], data[ns:], nil)
	if err != nil {
		return nil, fmt.Errorf("secrets: cannot decrypt %s: wrong key or corrupted file", path)
	}
	if err := json.Unmarshal(plain, &v.doc); err != nil {
		return nil, fmt.Errorf("secrets: %s: %w", path, err)
	}
	if v.doc.Secrets == nil {
		v.doc.Secrets = map[string]*fileSecret{}
	}
	return v, nil
}

// save writes the vault to a temporary file and renames it over the old
// one, so a crash leaves either the old or the new vault, never half.
func (v *FileVault) save() error {
	plain, err := json.Marshal(v.doc)
	if err != nil {
		return err
	}
	nonce := make([]byte, v.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	out := v.aead.Seal(nonce, nonce, plain, nil)
	tmp, err := os.CreateTemp(filepath.Dir(v.path), ".vault-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), v.path)
}

// mutate runs f on the document and saves it; when f or the save fails
// the in-memory state goes back to the snapshot taken before, so memory
// never claims a change the file does not hold.
func (v *FileVault) mutate(f func() error) error {
	snapshot, err := json.Marshal(v.doc)
	if err != nil {
		return err
	}
	err = f()
	if err == nil {
		err = v.save()
	}
	if err != nil {
		v.doc = vaultDoc{}
		_ = json.Unmarshal(snapshot, &v.doc)
	}
	return err
}

func (v *FileVault) secret(id string) (*fileSecret, error) {
	s, ok := v.doc.Secrets[id]
	if !ok {
		return nil, errorf(ErrSecretNotFound, nil, "secret %s does not exist", id)
	}
	return s, nil
}

// CreateSecret creates secret id with value as AWSCURRENT of version
// versionID, rotation disabled.
func (v *FileVault) CreateSecret(_ context.Context, id, versionID string, value []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if id == "" || versionID == "" {
		return errorf(ErrInvalidRequest, nil, "secret id and version id are required")
	}
	if _, ok := v.doc.Secrets[id]; ok {
		return errorf(ErrInvalidRequest, nil, "secret %s already exists", id)
	}
	return v.mutate(func() error {
		v.doc.Secrets[id] = &fileSecret{Versions: map[string]*fileVersion{
			versionID: {Value: bytes.Clone(value), Stages: []string{StageCurrent}},
		}, Created: v.now().UTC()}
		return nil
	})
}

// StartRotation does what RotateSecret does before invoking the rotation
// function: it enables rotation and adds an AWSPENDING version token with
// no value yet. Like Secrets Manager it refuses while another version is
// AWSPENDING without being AWSCURRENT.
func (v *FileVault) StartRotation(_ context.Context, id, token string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return err
	}
	if token == "" {
		return errorf(ErrInvalidRequest, nil, "token is required")
	}
	for vid, ver := range s.Versions {
		if vid != token && slices.Contains(ver.Stages, StagePending) && !slices.Contains(ver.Stages, StageCurrent) {
			return errorf(ErrRotationInProgress, nil, "secret %s: version %s is still AWSPENDING", id, vid)
		}
	}
	return v.mutate(func() error {
		s.RotationEnabled = true
		if _, ok := s.Versions[token]; ok {
			return nil
		}
		s.Versions[token] = &fileVersion{}
		moveStage(s, StagePending, token)
		return nil
	})
}

// SetRotation turns rotation on or off.
func (v *FileVault) SetRotation(_ context.Context, id string, enabled bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return err
	}
	return v.mutate(func() error { s.RotationEnabled = enabled; return nil })
}

// DescribeSecret implements Vault.
func (v *FileVault) DescribeSecret(_ context.Context, id string) (Description, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return Description{}, err
	}
	d := Description{ID: id, RotationEnabled: s.RotationEnabled, VersionIdsToStages: map[string][]string{},
		Rules: s.Rules, CreatedDate: s.Created, LastRotatedDate: s.LastRotated}
	for vid, ver := range s.Versions {
		d.VersionIdsToStages[vid] = slices.Clone(ver.Stages)
	}
	return d, nil
}

// GetSecretValue implements Vault.
func (v *FileVault) GetSecretValue(_ context.Context, id, versionID, stage string) (Value, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return Value{}, err
	}
	if versionID == "" && stage == "" {
		stage = StageCurrent
	}
	for vid, ver := range s.Versions {
		if (versionID == "" || vid == versionID) && (stage == "" || slices.Contains(ver.Stages, stage)) && ver.Value != nil {
			return Value{VersionID: vid, Stages: slices.Clone(ver.Stages), Bytes: bytes.Clone(ver.Value)}, nil
		}
	}
	return Value{}, errorf(ErrVersionNotFound, nil, "secret %s has no value for version %q stage %q", id, versionID, stage)
}

// PutSecretValue implements Vault.
func (v *FileVault) PutSecretValue(_ context.Context, id, token string, value []byte, stages []string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return err
	}
	if token == "" || value == nil {
		return errorf(ErrInvalidRequest, nil, "token and value are required")
	}
	if ver, ok := s.Versions[token]; ok && ver.Value != nil {
		if !bytes.Equal(ver.Value, value) {
			return errorf(ErrTokenConflict, nil, "secret %s version %s", id, token)
		}
		return nil
	}
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	return v.mutate(func() error {
		ver, ok := s.Versions[token]
		if !ok {
			ver = &fileVersion{}
			s.Versions[token] = ver
		}
		ver.Value = bytes.Clone(value)
		for _, st := range stages {
			moveStage(s, st, token)
			if st == StageCurrent {
				// Secrets Manager counts a new current value put by hand
				// as a rotation of the schedule.
				s.LastRotated = v.now().UTC()
			}
		}
		return nil
	})
}

// UpdateSecretVersionStage implements Vault.
func (v *FileVault) UpdateSecretVersionStage(_ context.Context, id, stage, moveTo, removeFrom string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return err
	}
	holder := ""
	for vid, ver := range s.Versions {
		if slices.Contains(ver.Stages, stage) {
			holder = vid
		}
	}
	if moveTo != "" {
		if _, ok := s.Versions[moveTo]; !ok {
			return errorf(ErrVersionNotFound, nil, "secret %s has no version %s", id, moveTo)
		}
		if holder != "" && holder != moveTo && holder != removeFrom {
			return errorf(ErrInvalidStage, nil, "secret %s: %s is on version %s, not %q", id, stage, holder, removeFrom)
		}
	} else if removeFrom != "" && holder != removeFrom {
		return errorf(ErrInvalidStage, nil, "secret %s: %s is not on version %s", id, stage, removeFrom)
	}
	return v.mutate(func() error {
		if moveTo == "" {
			ver := s.Versions[removeFrom]
			ver.Stages = slices.DeleteFunc(ver.Stages, func(x string) bool { return x == stage })
			return nil
		}
		if stage == StageCurrent && moveTo != holder && slices.Contains(s.Versions[moveTo].Stages, StagePending) {
			// finishSecret: the rotation is done now.
			s.LastRotated = v.now().UTC()
		}
		moveStage(s, stage, moveTo)
		return nil
	})
}

// SetRotationRules sets the secret's rotation policy, checked with
// ParsePolicy first; the zero rules remove it. Like RotateSecret with
// RotationRules it enables rotation.
func (v *FileVault) SetRotationRules(_ context.Context, id string, rules RotationRules) error {
	if !rules.IsZero() {
		if _, err := ParsePolicy(rules); err != nil {
			return err
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s, err := v.secret(id)
	if err != nil {
		return err
	}
	return v.mutate(func() error {
		s.Rules = rules
		if !rules.IsZero() {
			s.RotationEnabled = true
		}
		return nil
	})
}

// moveStage puts stage on version to and off every other version; moving
// AWSCURRENT labels the old holder AWSPREVIOUS, as Secrets Manager does.
func moveStage(s *fileSecret, stage, to string) {
	for vid, ver := range s.Versions {
		if vid == to || !slices.Contains(ver.Stages, stage) {
			continue
		}
		ver.Stages = slices.DeleteFunc(ver.Stages, func(x string) bool { return x == stage })
		if stage == StageCurrent {
			moveStage(s, StagePrevious, vid)
		}
	}
	if ver := s.Versions[to]; !slices.Contains(ver.Stages, stage) {
		ver.Stages = append(ver.Stages, stage)
	}
}

// GetRandomPassword implements Vault with RandomPassword.
func (v *FileVault) GetRandomPassword(_ context.Context, p PasswordPolicy) (string, error) {
	return RandomPassword(p)
}

// ListSecrets returns the ids of the vault's secrets, sorted, so local
// tooling (cogniforge secrets due) can walk them; Secrets Manager's
// ListSecrets is the AWS counterpart.
func (v *FileVault) ListSecrets(context.Context) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	ids := make([]string, 0, len(v.doc.Secrets))
	for id := range v.doc.Secrets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
