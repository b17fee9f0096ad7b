package sfnlocal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Step Functions API speaks AWS JSON 1.0: every call is a POST of a JSON
// object to "/", the operation named by the X-Amz-Target header
// ("AWSStepFunctions.StartExecution"). Answers are JSON objects with
// dates as epoch seconds; errors are HTTP 400 with
// {"__type": "<namespace>#<ErrorCode>", "message": ...}, from which the
// SDKs take the part after '#' to pick the typed error.

// TargetPrefix starts the X-Amz-Target header of every operation.
const TargetPrefix = "AWSStepFunctions."

// ContentType is the media type of requests and answers.
const ContentType = "application/x-amz-json-1.0"

// errorNamespace prefixes error codes in "__type", as AWS writes them.
const errorNamespace = "com.amazonaws.swf.service.v2.model#"

// maxRequest bounds a request body: a 1 MiB definition or a 256 KiB
// input, JSON-escaped inside the request, fits several times over.
const maxRequest = 8 << 20

// Error codes of the Step Functions API. The SDKs map each to a type
// (types.StateMachineDoesNotExist for ErrCodeStateMachineDoesNotExist).
const (
	ErrCodeConflictException            = "ConflictException"
	ErrCodeExecutionAlreadyExists       = "ExecutionAlreadyExists"
	ErrCodeExecutionDoesNotExist        = "ExecutionDoesNotExist"
	ErrCodeInvalidArn                   = "InvalidArn"
	ErrCodeInvalidDefinition            = "InvalidDefinition"
	ErrCodeInvalidExecutionInput        = "InvalidExecutionInput"
	ErrCodeInvalidName                  = "InvalidName"
	ErrCodeInvalidOutput                = "InvalidOutput"
	ErrCodeInvalidToken                 = "InvalidToken"
	ErrCodeMissingRequiredParameter     = "MissingRequiredParameter"
	ErrCodeResourceNotFound             = "ResourceNotFound"
	ErrCodeStateMachineAlreadyExists    = "StateMachineAlreadyExists"
	ErrCodeStateMachineDoesNotExist     = "StateMachineDoesNotExist"
	ErrCodeStateMachineTypeNotSupported = "StateMachineTypeNotSupported"
	ErrCodeTaskDoesNotExist             = "TaskDoesNotExist"
	ErrCodeValidationException          = "ValidationException"
	ErrCodeSerializationException       = "SerializationException"
	ErrCodeUnknownOperationException    = "UnknownOperationException"
	ErrCodeServiceUnavailable           = "ServiceUnavailable"
	ErrCodeInternalFailure              = "InternalFailure"
	errCodeMethodNotAllowed             = "InvalidAction"
)

// APIError is a refusal of the API: Code is the AWS error code. It is a
// client error (HTTP 400) except ErrCodeServiceUnavailable and
// ErrCodeInternalFailure.
type APIError struct {
	Code    string
	Message string
}

func (e *APIError) Error() string { return "sfnlocal: " + e.Code + ": " + e.Message }

func apiErrorf(code, format string, args ...any) *APIError {
	return &APIError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func isCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// epoch is a date as the API writes it: seconds since the epoch, with
// millisecond precision, as a JSON number.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// Requests and answers; field names are the API's.
type (
	tag struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	createStateMachineInput struct {
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		Type                 string          `json:"type"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Tags                 []tag           `json:"tags"`
		Publish              bool            `json:"publish"`
	}
	createStateMachineOutput struct {
		StateMachineArn string `json:"stateMachineArn"`
		CreationDate    epoch  `json:"creationDate"`
	}
	updateStateMachineInput struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Definition           *string         `json:"definition"`
		RoleArn              *string         `json:"roleArn"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Publish              bool            `json:"publish"`
	}
	updateStateMachineOutput struct {
		UpdateDate epoch  `json:"updateDate"`
		RevisionID string `json:"revisionId,omitempty"`
	}
	arnInput struct {
		StateMachineArn string `json:"stateMachineArn"`
	}
	describeStateMachineOutput struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Name                 string          `json:"name"`
		Status               string          `json:"status"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		Type                 string          `json:"type"`
		CreationDate         epoch           `json:"creationDate"`
		RevisionID           string          `json:"revisionId,omitempty"`
		Description          string          `json:"description,omitempty"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration,omitempty"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration,omitempty"`
	}
	pageInput struct {
		MaxResults int    `json:"maxResults"`
		NextToken  string `json:"nextToken"`
	}
	stateMachineListItem struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Type            string `json:"type"`
		CreationDate    epoch  `json:"creationDate"`
	}
	listStateMachinesOutput struct {
		StateMachines []stateMachineListItem `json:"stateMachines"`
		NextToken     string                 `json:"nextToken,omitempty"`
	}
	validateInput struct {
		Definition string `json:"definition"`
		Type       string `json:"type"`
		Severity   string `json:"severity"`
		MaxResults int    `json:"maxResults"`
	}
	validateDiagnostic struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Location string `json:"location,omitempty"`
	}
	validateOutput struct {
		Result      string               `json:"result"`
		Diagnostics []validateDiagnostic `json:"diagnostics"`
		Truncated   bool                 `json:"truncated"`
	}
	listVersionsOutput struct {
		StateMachineVersions []struct{} `json:"stateMachineVersions"`
	}
	resourceInput struct {
		ResourceArn string `json:"resourceArn"`
	}
	tagResourceInput struct {
		ResourceArn string `json:"resourceArn"`
		Tags        []tag  `json:"tags"`
	}
	untagResourceInput struct {
		ResourceArn string   `json:"resourceArn"`
		TagKeys     []string `json:"tagKeys"`
	}
	listTagsOutput struct {
		Tags []tag `json:"tags"`
	}
	startExecutionInput struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Input           string `json:"input"`
		TraceHeader     string `json:"traceHeader"`
	}
	startExecutionOutput struct {
		ExecutionArn string `json:"executionArn"`
		StartDate    epoch  `json:"startDate"`
	}
	payloadDetails struct {
		Included bool `json:"included"`
	}
	billingDetails struct {
		BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
		BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
	}
	startSyncExecutionOutput struct {
		ExecutionArn    string          `json:"executionArn"`
		StateMachineArn string          `json:"stateMachineArn"`
		Name            string          `json:"name"`
		Status          string          `json:"status"`
		StartDate       epoch           `json:"startDate"`
		StopDate        epoch           `json:"stopDate"`
		Input           string          `json:"input"`
		InputDetails    *payloadDetails `json:"inputDetails,omitempty"`
		Output          *string         `json:"output,omitempty"`
		OutputDetails   *payloadDetails `json:"outputDetails,omitempty"`
		Error           string          `json:"error,omitempty"`
		Cause           string          `json:"cause,omitempty"`
		BillingDetails  *billingDetails `json:"billingDetails,omitempty"`
	}
	executionInput struct {
		ExecutionArn string `json:"executionArn"`
	}
	describeExecutionOutput struct {
		ExecutionArn        string          `json:"executionArn"`
		StateMachineArn     string          `json:"stateMachineArn"`
		Name                string          `json:"name"`
		Status              string          `json:"status"`
		StartDate           epoch           `json:"startDate"`
		StopDate            *epoch          `json:"stopDate,omitempty"`
		Input               string          `json:"input"`
		InputDetails        *payloadDetails `json:"inputDetails,omitempty"`
		Output              *string         `json:"output,omitempty"`
		OutputDetails       *payloadDetails `json:"outputDetails,omitempty"`
		Error               string          `json:"error,omitempty"`
		Cause               string          `json:"cause,omitempty"`
		RedriveStatus       string          `json:"redriveStatus,omitempty"`
		RedriveStatusReason string          `json:"redriveStatusReason,omitempty"`
	}
	listExecutionsInput struct {
		StateMachineArn string `json:"stateMachineArn"`
		StatusFilter    string `json:"statusFilter"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	executionListItem struct {
		ExecutionArn    string `json:"executionArn"`
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Status          string `json:"status"`
		StartDate       epoch  `json:"startDate"`
		StopDate        *epoch `json:"stopDate,omitempty"`
	}
	listExecutionsOutput struct {
		Executions []executionListItem `json:"executions"`
		NextToken  string              `json:"nextToken,omitempty"`
	}
	historyInput struct {
		ExecutionArn         string `json:"executionArn"`
		MaxResults           int    `json:"maxResults"`
		NextToken            string `json:"nextToken"`
		ReverseOrder         bool   `json:"reverseOrder"`
		IncludeExecutionData *bool  `json:"includeExecutionData"`
	}
	historyOutput struct {
		Events    []map[string]any `json:"events"`
		NextToken string           `json:"nextToken,omitempty"`
	}
	stopExecutionInput struct {
		ExecutionArn string `json:"executionArn"`
		Error        string `json:"error"`
		Cause        string `json:"cause"`
	}
	stopExecutionOutput struct {
		StopDate epoch `json:"stopDate"`
	}
	describeStateMachineForExecutionOutput struct {
		StateMachineArn      string          `json:"stateMachineArn"`
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		UpdateDate           epoch           `json:"updateDate"`
		RevisionID           string          `json:"revisionId,omitempty"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration,omitempty"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration,omitempty"`
	}
	taskTokenInput struct {
		TaskToken string `json:"taskToken"`
	}
	sendTaskSuccessInput struct {
		TaskToken string `json:"taskToken"`
		Output    string `json:"output"`
	}
	sendTaskFailureInput struct {
		TaskToken string `json:"taskToken"`
		Error     string `json:"error"`
		Cause     string `json:"cause"`
	}
)

// operation decodes a request, runs it and returns the answer.
type operation func(s *Service, ctx context.Context, body []byte) (any, error)

// op adapts a typed method to an operation.
func op[In, Out any](fn func(*Service, context.Context, *In) (*Out, error)) operation {
	return func(s *Service, ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, apiErrorf(ErrCodeSerializationException, "request body does not match the operation: %v", err)
			}
		}
		return fn(s, ctx, in)
	}
}

// operations are the supported operations by X-Amz-Target suffix.
var operations = map[string]operation{
	"CreateStateMachine":               op((*Service).createStateMachine),
	"UpdateStateMachine":               op((*Service).updateStateMachine),
	"DescribeStateMachine":             op((*Service).describeStateMachine),
	"ListStateMachines":                op((*Service).listStateMachines),
	"DeleteStateMachine":               op((*Service).deleteStateMachine),
	"ValidateStateMachineDefinition":   op((*Service).validateDefinition),
	"ListStateMachineVersions":         op((*Service).listStateMachineVersions),
	"StartExecution":                   op((*Service).startExecution),
	"StartSyncExecution":               op((*Service).startSyncExecution),
	"DescribeExecution":                op((*Service).describeExecution),
	"ListExecutions":                   op((*Service).listExecutions),
	"GetExecutionHistory":              op((*Service).getExecutionHistory),
	"StopExecution":                    op((*Service).stopExecution),
	"SendTaskSuccess":                  op((*Service).sendTaskSuccess),
	"SendTaskFailure":                  op((*Service).sendTaskFailure),
	"SendTaskHeartbeat":                op((*Service).sendTaskHeartbeat),
	"DescribeStateMachineForExecution": op((*Service).describeStateMachineForExecution),
	"TagResource":                      op((*Service).tagResource),
	"UntagResource":                    op((*Service).untagResource),
	"ListTagsForResource":              op((*Service).listTags),
}

// Operations lists the operation names the Handler answers, sorted.
func Operations() []string {
	out := make([]string, 0, len(operations))
	for k := range operations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Handler serves the Step Functions API (AWS JSON 1.0) on every path, as
// the aws CLI and the SDKs call it with --endpoint-url / BaseEndpoint.
// Requests are not authenticated: any credentials are accepted.
//
// StartSyncExecution clients send to "sync-" + the endpoint's host, which
// does not resolve locally: set AWS_DISABLE_HOST_PREFIX_INJECTION=true for
// the aws CLI, or smithyhttp.DisableEndpointHostPrefix in an
// Initialize-step middleware of the Go SDK client (see the tests).
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", uuid.NewString())
	if r.Method != http.MethodPost {
		writeError(w, apiErrorf(errCodeMethodNotAllowed, "the Step Functions API takes POST requests, not %s", r.Method))
		return
	}
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	opFn := operations[name]
	if !ok || opFn == nil {
		writeError(w, apiErrorf(ErrCodeUnknownOperationException, "unknown or unsupported operation %q", r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		writeError(w, apiErrorf(ErrCodeSerializationException, "reading the request: %v", err))
		return
	}
	out, err := opFn(s, r.Context(), body)
	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			s.log.Error("sfnlocal: request failed", "operation", name, "error", err)
			ae = &APIError{Code: ErrCodeInternalFailure, Message: err.Error()}
		}
		writeError(w, ae)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func writeError(w http.ResponseWriter, e *APIError) {
	status := http.StatusBadRequest
	switch e.Code {
	case ErrCodeInternalFailure:
		status = http.StatusInternalServerError
	case ErrCodeServiceUnavailable:
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]string{"__type": errorNamespace + e.Code, "message": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"__type": errorNamespace + ErrCodeInternalFailure, "message": err.Error()})
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Pagination: nextToken is the offset of the next page, opaque to callers.
const (
	defaultPage = 100
	maxPage     = 1000
	tokenPrefix = "sfnlocal1:"
)

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}

// decodeToken returns the offset in a nextToken ("" is 0).
func decodeToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if n, ok := strings.CutPrefix(string(raw), tokenPrefix); ok {
			if off, err := strconv.Atoi(n); err == nil && off >= 0 {
				return off, nil
			}
		}
	}
	return 0, apiErrorf(ErrCodeInvalidToken, "Invalid Token: '%s'", tok)
}

// paginate returns the page of all at nextToken and the token of the next
// page ("" on the last).
func paginate[T any](all []T, maxResults int, nextToken string) ([]T, string, error) {
	if maxResults < 0 {
		return nil, "", apiErrorf(ErrCodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0", maxResults)
	}
	if maxResults > maxPage {
		return nil, "", apiErrorf(ErrCodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", maxResults, maxPage)
	}
	if maxResults == 0 {
		maxResults = defaultPage
	}
	off, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	if off > len(all) {
		return nil, "", apiErrorf(ErrCodeInvalidToken, "Invalid Token: '%s' is past the end", nextToken)
	}
	end := min(off+maxResults, len(all))
	page := all[off:end]
	if page == nil {
		page = []T{}
	}
	next := ""
	if end < len(all) {
		next = encodeToken(end)
	}
	return page, next, nil
}
