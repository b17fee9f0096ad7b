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
	// A shared circuit breaker changed state (BreakerChanged).
	TypeBreakerOpened     = "dev.cogniforge.resilience.breaker.opened.v1"
	TypeBreakerHalfOpened = "dev.cogniforge.resilience.breaker.halfopened.v1"
	TypeBreakerClosed     = "dev.cogniforge.resilience.breaker.closed.v1"
	// TypeResilienceCommand is a request to the resilience-admin
	// function's routes or task: read the breakers, force one.
	TypeResilienceCommand = "dev.cogniforge.resilience.command.v1"
	// TypeDiscoveryHealthChanged is a service instance moving between
	// unknown, healthy and unhealthy (pkg/discovery.HealthChange);
	// TypeDiscoveryRequest a request to the health-checker's routes.
	TypeDiscoveryHealthChanged = "dev.cogniforge.discovery.instance.health.changed.v1"
	TypeDiscoveryRequest       = "dev.cogniforge.discovery.request.v1"
	// Release decisions (ReleaseChanged), the release-controller's routes
	// (TypeReleaseRequest) and the release state machine's Task
	// (TypeReleaseStep).
	TypeReleaseStarted    = "dev.cogniforge.release.started.v1"
	TypeReleaseStepped    = "dev.cogniforge.release.stepped.v1"
	TypeReleaseHeld       = "dev.cogniforge.release.held.v1"
	TypeReleasePromoted   = "dev.cogniforge.release.promoted.v1"
	TypeReleaseRolledBack = "dev.cogniforge.release.rolledback.v1"
	TypeReleaseRequest    = "dev.cogniforge.release.request.v1"
	TypeReleaseStep       = "dev.cogniforge.release.step.v1"
)

// Chaos (pkg/chaos): a request to the chaos-injector, and a fault stored or
// cleared (data: the chaos.Fault).
const (
	TypeChaosRequest       = "dev.cogniforge.chaos.request.v1"
	TypeChaosFaultInjected = "dev.cogniforge.chaos.fault.injected.v1"
	TypeChaosFaultCleared  = "dev.cogniforge.chaos.fault.cleared.v1"
	// TypeChaosExperimentTask is a Task of the chaos-experiment state
	// machine; TypeChaosExperimentCompleted its report (chaos.Report).
	TypeChaosExperimentTask      = "dev.cogniforge.chaos.experiment.task.v1"
	TypeChaosExperimentCompleted = "dev.cogniforge.chaos.experiment.completed.v1"
	// TypeOrderQuery is a request to the order-query function's routes
	// (the order read model).
	TypeOrderQuery = "dev.cogniforge.order.query.v1"
)

// API governance (pkg/apigov): a new version of an API's spec (the
// governance-auditor's trigger), its audit, each breaking change found,
// and a request to the auditor's dashboard routes.
const (
	TypeAPISpecChanged     = "dev.cogniforge.api.spec.changed.v1"
	TypeAPIAudited         = "dev.cogniforge.api.audited.v1"
	TypeAPIBreakingChange  = "dev.cogniforge.api.breakingchange.detected.v1"
	TypeAPIGovernanceQuery = "dev.cogniforge.api.governance.query.v1"
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
	TypeBreakerOpened, TypeBreakerHalfOpened, TypeBreakerClosed, TypeResilienceCommand,
	TypeDiscoveryHealthChanged, TypeDiscoveryRequest,
	TypeReleaseStarted, TypeReleaseStepped, TypeReleaseHeld, TypeReleasePromoted, TypeReleaseRolledBack,
	TypeReleaseRequest, TypeReleaseStep,
	TypeChaosRequest, TypeChaosFaultInjected, TypeChaosFaultCleared,
	TypeChaosExperimentTask, TypeChaosExperimentCompleted,
	TypeOrderQuery,
	TypeAPISpecChanged, TypeAPIAudited, TypeAPIBreakingChange, TypeAPIGovernanceQuery,
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
	// Version is the version of the service or function that served the
	// call (a Lambda version): releases judge a new version by it.
	Version string `json:"version,omitempty"`
	// Caller identifies the client that made the call (an API key's hash,
	// an IAM principal, or an address for anonymous calls; see
	// pkg/apiclient); empty when unknown. API governance names the callers
	// a breaking change would affect by it.
	Caller string `json:"caller,omitempty"`
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

// BreakerChanged is the data of the dev.cogniforge.resilience.breaker.*.v1
// types: a shared circuit breaker moved to State.
type BreakerChanged struct {
	Name                string `json:"name"`
	State               string `json:"state"`
	From                string `json:"from"`
	Reason              string `json:"reason,omitempty"`
	ConsecutiveFailures int    `json:"consecutiveFailures"`
	WindowCalls         int    `json:"windowCalls"`
	WindowFailures      int    `json:"windowFailures"`
	OpenedAt            string `json:"openedAt,omitempty"` // RFC 3339
	At                  string `json:"at"`                 // RFC 3339
	Function            string `json:"function,omitempty"`
}

// ReleaseChanged is the data of the dev.cogniforge.release.*.v1 decision
// types: the release after the decision.
type ReleaseChanged struct {
	ID              string          `json:"id"`
	Function        string          `json:"function"`
	Alias           string          `json:"alias"`
	Version         string          `json:"version"`
	PreviousVersion string          `json:"previousVersion"`
	Strategy        string          `json:"strategy"`
	State           string          `json:"state"`
	Weight          float64         `json:"weight"`
	Step            int             `json:"step"`
	Holds           int             `json:"holds,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	By              string          `json:"by,omitempty"`
	At              string          `json:"at"` // RFC 3339
	Metrics         *ReleaseMetrics `json:"metrics,omitempty"`
}

// ReleaseMetrics is what a release check read of the new version.
type ReleaseMetrics struct {
	Requests          int64    `json:"requests"`
	Errors            int64    `json:"errors"`
	ErrorRate         float64  `json:"errorRate"`
	LatencyMs         float64  `json:"latencyMs,omitempty"`
	LatencyPercentile float64  `json:"latencyPercentile,omitempty"`
	BurnRate          *float64 `json:"burnRate,omitempty"`
	SLO               string   `json:"slo,omitempty"`
	From              string   `json:"from,omitempty"` // RFC 3339
	To                string   `json:"to,omitempty"`   // RFC 3339
}
