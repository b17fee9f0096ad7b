package faas

import "time"

// CloudEvent types the platform adapters create for platform payloads.
const (
	// ScheduleFiredType is the type of EventBridge scheduled events and
	// EventBridge Scheduler invocations; the data is a ScheduleFired.
	ScheduleFiredType = "dev.cogniforge.schedule.fired.v1"
	// SecretRotationType is the type of Secrets Manager rotation requests;
	// the data is the request as AWS sent it (see SecretRotation).
	SecretRotationType = "dev.cogniforge.secret.rotation.requested.v1"
	// EventBridgeTypePrefix starts the type of EventBridge events whose
	// detail-type is not a CloudEvents type.
	EventBridgeTypePrefix = "aws.eventbridge."
)

// ScheduleFired is the data of a ScheduleFiredType event.
type ScheduleFired struct {
	// Schedule is the ARN of the EventBridge rule or Scheduler schedule.
	Schedule      string    `json:"schedule,omitempty"`
	ScheduledTime time.Time `json:"scheduledTime"`
	// ExecutionID is the EventBridge event id or the Scheduler execution id.
	ExecutionID string `json:"executionId,omitempty"`
	// Attempt is the Scheduler attempt number (1 for the first), 0 if unknown.
	Attempt int `json:"attempt,omitempty"`
}

// SecretRotation is the data of a SecretRotationType event: the Secrets
// Manager rotation request, field names as AWS sends them.
type SecretRotation struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
	// Step is createSecret, setSecret, testSecret or finishSecret.
	Step          string `json:"Step"`
	RotationToken string `json:"RotationToken,omitempty"`
}
