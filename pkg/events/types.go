package events

// Event types of the catalog. Every constant has a schema in
// events/schemas/<type>.json (a test checks it).
const (
	TypeRequestCompleted = "dev.cogniforge.request.completed.v1"

	TypeSagaStarted     = "dev.cogniforge.saga.started.v1"
	TypeSagaCompleted   = "dev.cogniforge.saga.completed.v1"
	TypeSagaCompensated = "dev.cogniforge.saga.compensated.v1"
	TypeSagaStuck       = "dev.cogniforge.saga.stuck.v1"

	TypeSagaStepSucceeded         = "dev.cogniforge.saga.step.succeeded.v1"
	TypeSagaStepFailed            = "dev.cogniforge.saga.step.failed.v1"
	TypeSagaCompensationSucceeded = "dev.cogniforge.saga.compensation.succeeded.v1"
	TypeSagaCompensationFailed    = "dev.cogniforge.saga.compensation.failed.v1"
	// TypeSagaTask is the payload of a saga step function (pkg/saga.Task).
	TypeSagaTask = "dev.cogniforge.saga.task.v1"

	TypeGatewayAccepted = "dev.cogniforge.gateway.accepted.v1"

	// TypeScheduleFired is what a schedule delivers (pkg/faas.ScheduleFired,
	// and the local runtime's scheduler).
	TypeScheduleFired = "dev.cogniforge.schedule.fired.v1"
	// TypeSecretRotationRequested is a Secrets Manager rotation step
	// (pkg/faas.SecretRotation).
	TypeSecretRotationRequested = "dev.cogniforge.secret.rotation.requested.v1"
	// TypeSLOAlertFiring and TypeSLOAlertResolved are an SLO's burn-rate
	// alert starting and stopping (SLOAlert); the incident capability
	// consumes dev.cogniforge.slo.alert.*.
	TypeSLOAlertFiring   = "dev.cogniforge.slo.alert.firing.v1"
	TypeSLOAlertResolved = "dev.cogniforge.slo.alert.resolved.v1"
	// Incident changes (IncidentChanged).
	TypeIncidentTriggered    = "dev.cogniforge.incident.triggered.v1"
	TypeIncidentAcknowledged = "dev.cogniforge.incident.acknowledged.v1"
	TypeIncidentResolved     = "dev.cogniforge.incident.resolved.v1"
	TypeIncidentUpdated      = "dev.cogniforge.incident.updated.v1"
	// TypeIncidentEscalation is an escalation step, the incident-escalation
	// state machine's Task input.
	TypeIncidentEscalation = "dev.cogniforge.incident.escalation.v1"
	// TypeIncidentRequest is a request to the incident-manager's routes.
	TypeIncidentRequest = "dev.cogniforge.incident.request.v1"
	// TypeSLOQuery is a request to the slo-evaluator's JSON routes.
	TypeSLOQuery = "dev.cogniforge.slo.query.v1"
	// TypeSecretRotationStep is the outcome of one rotation step
	// (SecretRotationStep); TypeSecretRotated a finished rotation
	// (SecretRotated). Neither carries the secret's value.
	TypeSecretRotationStep = "dev.cogniforge.secret.rotation.step.v1"
	TypeSecretRotated      = "dev.cogniforge.secret.rotated.v1"
	// TypeAuditRecorded is an audit record (AuditRecord).
	TypeAuditRecorded = "dev.cogniforge.audit.recorded.v1"
	// TypeOrderQuery is a request to the order-query function's routes
	// (the order read model).
	TypeOrderQuery = "dev.cogniforge.order.query.v1"
)

// AllTypes lists every type constant above.
var AllTypes = []string{
	TypeRequestCompleted,
	TypeSagaStarted, TypeSagaCompleted, TypeSagaCompensated, TypeSagaStuck,
	TypeSagaStepSucceeded, TypeSagaStepFailed,
	TypeSagaCompensationSucceeded, TypeSagaCompensationFailed, TypeSagaTask,
	TypeGatewayAccepted,
	TypeScheduleFired, TypeSecretRotationRequested,
	TypeSLOAlertFiring, TypeSLOAlertResolved, TypeSLOQuery,
	TypeIncidentTriggered, TypeIncidentAcknowledged, TypeIncidentResolved, TypeIncidentUpdated, TypeIncidentRequest, TypeIncidentEscalation,
	TypeSecretRotationStep, TypeSecretRotated, TypeAuditRecorded,
	TypeOrderQuery,
}

// Request statuses. Status is the outcome class an SLO counts (good or bad
// event); the HTTP code of an HTTP call, when there is one, is HTTPStatus.
const (
	StatusOK    = "ok"
	StatusError = "error"
)

// Saga phases.
const (
	PhaseForward      = "forward"
	PhaseCompensation = "compensation"
)

// RequestCompleted is the data of TypeRequestCompleted: the outcome of one
// service call.
type RequestCompleted struct {
	Service    string  `json:"service"`
	Operation  string  `json:"operation"`
	Status     string  `json:"status"` // StatusOK or StatusError
	DurationMs float64 `json:"durationMs"`
	// HTTPStatus is the HTTP status code (100-599) when the call was HTTP.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// Timestamp is when the call completed (RFC 3339); empty means the
	// event's time.
	Timestamp string `json:"timestamp,omitempty"`
	Region    string `json:"region,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
}

// ErrorInfo is a named error inside saga events. Name is what an ASL Catch
// matches.
type ErrorInfo struct {
	Name    string `json:"name"`
	Message string `json:"message,omitempty"`
}

// SagaStarted is the data of TypeSagaStarted.
type SagaStarted struct {
	SagaID string         `json:"sagaId"`
	Saga   string         `json:"saga"`
	Steps  []string       `json:"steps,omitempty"`
	Input  map[string]any `json:"input,omitempty"`
}

// SagaCompleted is the data of TypeSagaCompleted.
type SagaCompleted struct {
	SagaID     string         `json:"sagaId"`
	Saga       string         `json:"saga,omitempty"`
	Result     map[string]any `json:"result,omitempty"`
	DurationMs float64        `json:"durationMs,omitempty"`
}

// SagaCompensated is the data of TypeSagaCompensated.
type SagaCompensated struct {
	SagaID           string     `json:"sagaId"`
	Saga             string     `json:"saga,omitempty"`
	FailedStep       string     `json:"failedStep"`
	Error            *ErrorInfo `json:"error,omitempty"`
	CompensatedSteps []string   `json:"compensatedSteps,omitempty"`
	DurationMs       float64    `json:"durationMs,omitempty"`
}

// SagaStuck is the data of TypeSagaStuck.
type SagaStuck struct {
	SagaID  string     `json:"sagaId"`
	Saga    string     `json:"saga,omitempty"`
	Step    string     `json:"step"`
	Phase   string     `json:"phase,omitempty"`
	Attempt int        `json:"attempt,omitempty"`
	Reason  string     `json:"reason"`
	Error   *ErrorInfo `json:"error,omitempty"`
	// Since is when the saga stopped progressing (RFC 3339).
	Since string `json:"since,omitempty"`
}

// StepSucceeded is the data of TypeSagaStepSucceeded (Phase PhaseForward) and
// TypeSagaCompensationSucceeded (Phase PhaseCompensation).
type StepSucceeded struct {
	SagaID     string         `json:"sagaId"`
	Saga       string         `json:"saga,omitempty"`
	Step       string         `json:"step"`
	Phase      string         `json:"phase,omitempty"`
	Attempt    int            `json:"attempt"`
	Result     map[string]any `json:"result,omitempty"`
	DurationMs float64        `json:"durationMs,omitempty"`
}

// StepFailed is the data of TypeSagaStepFailed (Phase PhaseForward) and
// TypeSagaCompensationFailed (Phase PhaseCompensation): one failed attempt.
type StepFailed struct {
	SagaID     string    `json:"sagaId"`
	Saga       string    `json:"saga,omitempty"`
	Step       string    `json:"step"`
	Phase      string    `json:"phase,omitempty"`
	Attempt    int       `json:"attempt"`
	Error      ErrorInfo `json:"error"`
	Retryable  bool      `json:"retryable,omitempty"`
	DurationMs float64   `json:"durationMs,omitempty"`
}

// GatewayAccepted is the data of TypeGatewayAccepted, the event gateway's
// acknowledgement of one event.
type GatewayAccepted struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
}

// SLOAlert is the data of TypeSLOAlertFiring and TypeSLOAlertResolved.
type SLOAlert struct {
	SLO      string   `json:"slo"`
	Service  string   `json:"service,omitempty"`
	Severity string   `json:"severity"` // "page" or "ticket"
	State    string   `json:"state"`    // "firing" or "resolved"
	Rule     string   `json:"rule"`
	Windows  []string `json:"windows"` // long, short
	BurnRate struct {
		Long  float64 `json:"long"`
		Short float64 `json:"short"`
	} `json:"burnRate"`
	Threshold       float64 `json:"threshold"`
	Target          float64 `json:"target"`
	BudgetRemaining float64 `json:"budgetRemaining"`
	Exhaustion      string  `json:"exhaustion,omitempty"` // RFC 3339
	Since           string  `json:"since"`                // RFC 3339
	// DedupKey is the same for an alert's firing and resolved events.
	DedupKey string `json:"dedupKey"`
}

// IncidentChanged is the data of the dev.cogniforge.incident.*.v1 types.
type IncidentChanged struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Service   string `json:"service,omitempty"`
	Severity  string `json:"severity"`
	State     string `json:"state"`
	Source    string `json:"source,omitempty"`
	DedupKey  string `json:"dedupKey"`
	Alerts    int    `json:"alerts"`
	At        string `json:"at"` // RFC 3339
	By        string `json:"by,omitempty"`
	Text      string `json:"text,omitempty"`
	CreatedAt string `json:"createdAt"` // RFC 3339
}
