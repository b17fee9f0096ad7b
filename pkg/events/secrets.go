package events

// Outcomes of a rotation step or an audited action.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
)

// SecretRotationStep is the data of TypeSecretRotationStep. It names the
// secret and the version, never the value.
type SecretRotationStep struct {
	SecretID   string `json:"secretId"`
	Token      string `json:"token"`
	Step       string `json:"step"`
	Outcome    string `json:"outcome"`
	ErrorName  string `json:"errorName,omitempty"`
	DurationMs int64  `json:"durationMs"`
}

// SecretRotated is the data of TypeSecretRotated.
type SecretRotated struct {
	SecretID  string `json:"secretId"`
	Token     string `json:"token"`
	RotatedAt string `json:"rotatedAt"` // RFC 3339
}

// AuditRecord is the data of TypeAuditRecorded: who did what to which
// secret or parameter, when and how it ended; never the value.
type AuditRecord struct {
	Who       string `json:"who"`
	What      string `json:"what"`
	SecretID  string `json:"secretId,omitempty"`
	Key       string `json:"key,omitempty"`
	When      string `json:"when"` // RFC 3339, UTC
	Outcome   string `json:"outcome"`
	ErrorName string `json:"errorName,omitempty"`
}
