// Package sfnproxy puts an HTTP reverse proxy in front of moto_server so the
// Terraform AWS provider can manage Step Functions state machines against it.
//
// The provider calls two Step Functions APIs moto does not implement and
// retries them until it times out: ValidateStateMachineDefinition (on every
// plan of a state machine) and ListStateMachineVersions (on every read). The
// proxy answers the first with CogniForge's own ASL validator, in AWS's
// response shape, so a broken definition fails plan as it would on AWS; it
// answers the second with an empty list (moto keeps no versions); everything
// else is forwarded unchanged, body and headers included.
//
// A Handler from New is safe for concurrent use and keeps no state between
// requests.
package sfnproxy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/validate"
)

// X-Amz-Target values of the Step Functions JSON 1.0 protocol the proxy answers.
const (
	TargetValidate     = "AWSStepFunctions.ValidateStateMachineDefinition"
	TargetListVersions = "AWSStepFunctions.ListStateMachineVersions"
)

// Diagnostic codes of ValidateStateMachineDefinition used by the proxy.
const (
	CodeInvalidJSON      = "INVALID_JSON_DESCRIPTION"
	CodeMissing          = "MISSING_DESCRIPTION"
	CodeSchemaValidation = "SCHEMA_VALIDATION_FAILED"
)

// maxRequest bounds a validation request: AWS allows a 1 MiB definition, and
// escaping it as a JSON string can make it several times larger.
const maxRequest = 4 << 20

// Validator checks a definition and returns its problems, nil when it is valid.
type Validator func(definition []byte) []validate.Diagnostic

// Option tunes a proxy.
type Option func(*proxy)

// WithValidator replaces the validator (default validate.Definition).
func WithValidator(v Validator) Option {
	return func(p *proxy) {
		if v != nil {
			p.validate = v
		}
	}
}

// WithStub answers the JSON 1.0 operation target (an X-Amz-Target value such
// as "AWSStepFunctions.ListStateMachineAliases") with body instead of
// forwarding it. ListStateMachineVersions is stubbed by default.
func WithStub(target, body string) Option {
	return func(p *proxy) { p.stubs[target] = body }
}

// WithLogf reports each answered (not forwarded) request, e.g. to t.Logf.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(p *proxy) {
		if logf != nil {
			p.logf = logf
		}
	}
}

type proxy struct {
	forward  *httputil.ReverseProxy
	validate Validator
	stubs    map[string]string
	logf     func(format string, args ...any)
}

// New returns a handler that answers the Step Functions calls moto lacks and
// forwards every other request to target (moto's endpoint).
func New(target *url.URL, opts ...Option) http.Handler {
	p := &proxy{
		validate: validate.Definition,
		stubs:    map[string]string{TargetListVersions: `{"stateMachineVersions":[]}`},
		logf:     func(string, ...any) {},
	}
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			// Keep the signed Host so the request reaches moto exactly as sent.
			r.Out.Host = r.In.Host
		},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || target == "" {
		p.forward.ServeHTTP(w, r)
		return
	}
	if target == TargetValidate {
		p.serveValidate(w, r)
		return
	}
	if body, ok := p.stubs[target]; ok {
		p.logf("sfnproxy: %s answered by stub", target)
		writeJSON(w, http.StatusOK, json.RawMessage(body))
		return
	}
	p.forward.ServeHTTP(w, r)
}

// ValidateRequest is the body of ValidateStateMachineDefinition.
type ValidateRequest struct {
	Definition string `json:"definition"`
	Type       string `json:"type,omitempty"`
	Severity   string `json:"severity,omitempty"`
	MaxResults int    `json:"maxResults,omitempty"`
}

// ValidateResponse is AWS's answer: Result is "OK" or "FAIL".
type ValidateResponse struct {
	Result      string               `json:"result"`
	Diagnostics []ValidateDiagnostic `json:"diagnostics"`
	Truncated   bool                 `json:"truncated"`
}

// ValidateDiagnostic is one problem as AWS reports it. Location is the
// validator's dotted path to the field ("States.Publish.Next"), empty for the
// whole document.
type ValidateDiagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

func (p *proxy) serveValidate(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		writeError(w, "ValidationException", fmt.Sprintf("reading request: %v", err))
		return
	}
	var req ValidateRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, "ValidationException", fmt.Sprintf("request is not a JSON object: %v", err))
		return
	}
	resp := Validate(req, p.validate)
	p.logf("sfnproxy: %s: %s, %d diagnostics", TargetValidate, resp.Result, len(resp.Diagnostics))
	writeJSON(w, http.StatusOK, resp)
}

// Validate answers one ValidateStateMachineDefinition request with v. Every
// diagnostic of v is an ERROR (so the result is FAIL when there is any); a
// severity of "WARNING" asks for warnings too, which changes nothing since
// the validator reports none. MaxResults above zero truncates the list.
func Validate(req ValidateRequest, v Validator) ValidateResponse {
	resp := ValidateResponse{Result: "OK", Diagnostics: []ValidateDiagnostic{}}
	if strings.TrimSpace(req.Definition) == "" {
		resp.Result = "FAIL"
		resp.Diagnostics = append(resp.Diagnostics, ValidateDiagnostic{
			Severity: "ERROR", Code: CodeMissing, Message: "definition is empty",
		})
		return resp
	}
	for _, d := range v([]byte(req.Definition)) {
		code := CodeSchemaValidation
		if d.Path == "" && strings.Contains(d.Message, "not valid JSON") {
			code = CodeInvalidJSON
		}
		resp.Diagnostics = append(resp.Diagnostics, ValidateDiagnostic{
			Severity: "ERROR", Code: code, Message: d.Message, Location: d.Path,
		})
	}
	if len(resp.Diagnostics) > 0 {
		resp.Result = "FAIL"
	}
	if req.MaxResults > 0 && len(resp.Diagnostics) > req.MaxResults {
		resp.Diagnostics = resp.Diagnostics[:req.MaxResults]
		resp.Truncated = true
	}
	return resp
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, "InternalFailure", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError replies with a JSON 1.0 protocol error the SDKs decode by __type.
func writeError(w http.ResponseWriter, kind, msg string) {
	body, _ := json.Marshal(map[string]string{"__type": kind, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}
