package governance

import "sort"

// Severity of a finding. A CLI fails on findings at or above a threshold.
type Severity string

// The severities, most severe first.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, bool) {
	v := Severity(s)
	return v, v.Rank() > 0
}

// The OWASP API Security Top 10 (2023) categories.
const (
	API1  = "API1:2023"  // Broken Object Level Authorization
	API2  = "API2:2023"  // Broken Authentication
	API3  = "API3:2023"  // Broken Object Property Level Authorization
	API4  = "API4:2023"  // Unrestricted Resource Consumption
	API5  = "API5:2023"  // Broken Function Level Authorization
	API6  = "API6:2023"  // Unrestricted Access to Sensitive Business Flows
	API7  = "API7:2023"  // Server Side Request Forgery
	API8  = "API8:2023"  // Security Misconfiguration
	API9  = "API9:2023"  // Improper Inventory Management
	API10 = "API10:2023" // Unsafe Consumption of APIs
)

// CategoryTitles names each category.
var CategoryTitles = map[string]string{
	API1: "Broken Object Level Authorization", API2: "Broken Authentication",
	API3: "Broken Object Property Level Authorization", API4: "Unrestricted Resource Consumption",
	API5: "Broken Function Level Authorization", API6: "Unrestricted Access to Sensitive Business Flows",
	API7: "Server Side Request Forgery", API8: "Security Misconfiguration",
	API9: "Improper Inventory Management", API10: "Unsafe Consumption of APIs",
}

// Rule is one check: its id, OWASP category, severity, what it finds and
// how to fix it.
type Rule struct {
	ID       string   `json:"id"`
	Category string   `json:"category"`
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Hint     string   `json:"hint"`
}

// The rule ids.
const (
	RuleBOLAIntegerID      = "bola-integer-id"
	RuleBOLAGuessableID    = "bola-guessable-id"
	RuleAuthMissing        = "auth-missing"
	RuleAuthMissingRead    = "auth-missing-read"
	RuleAuthUndefined      = "auth-undefined-scheme"
	RuleAuthBasic          = "auth-basic"
	RuleAuthAPIKeyInQuery  = "auth-apikey-in-query"
	RuleAuthInsecureScheme = "auth-insecure-scheme"
	RuleAuthOAuthFlow      = "auth-oauth-legacy-flow"
	RuleAuthHTTPURL        = "auth-url-http"
	RuleAuthCredsInURL     = "auth-credentials-in-url"
	RuleAuthEndpointLimits = "auth-endpoint-unthrottled"
	RuleAuthNo401          = "auth-no-401"
	RuleMassAssignment     = "mass-assignment-open-object"
	RuleSensitiveExposed   = "sensitive-property-exposed"
	RuleStringUnbounded    = "string-unbounded"
	RuleArrayUnbounded     = "array-unbounded"
	RuleIntegerUnbounded   = "integer-unbounded"
	RuleNo429              = "rate-limit-no-429"
	RuleNoRetryAfter       = "rate-limit-no-retry-after"
	RuleNoRateLimitHeaders = "rate-limit-headers-missing"
	RuleAdminNoScopes      = "admin-no-scopes"
	RuleSensitiveFlow      = "business-flow-unthrottled"
	RuleSSRF               = "ssrf-url-input"
	RuleServerHTTP         = "server-http"
	RuleServerHTTPLocal    = "server-http-local"
	RuleCORSWildcard       = "cors-wildcard"
	RuleNoErrorResponses   = "error-responses-missing"
	RuleErrorNoSchema      = "error-schema-missing"
	RuleInfoVersion        = "info-version-missing"
	RuleServersMissing     = "servers-missing"
	RuleUnversioned        = "api-unversioned"
	RuleDeprecatedNoSunset = "deprecated-no-sunset"
	RuleUndocumented       = "operation-undocumented"
	RuleCallbackUnsecured  = "callback-unsecured"
	RuleExternalRefHTTP    = "external-ref-http"
	RuleExternalRef        = "external-ref"

	RuleProbeUnauthenticated = "probe-unauthenticated-accepted"
	RuleProbeOversized       = "probe-oversized-body-accepted"
	RuleProbeNoRateLimit     = "probe-rate-limit-missing"
	RuleProbeNoRetryAfter    = "probe-rate-limit-no-retry-after"
	RuleProbeInconclusive    = "probe-inconclusive"
)

var rules = []Rule{
	{RuleBOLAIntegerID, API1, SeverityError,
		"A path parameter names an object by an integer id and the operation says nothing of who may read it.",
		"Use random ids (format: uuid) and state the object-level check in the operation description (\"authorization: caller must own ...\") or an x-authorization extension."},
	{RuleBOLAGuessableID, API1, SeverityInfo,
		"A path parameter names an object by a string id with no uuid format or pattern, and no authorization note.",
		"Give the id format: uuid (or a pattern) and describe the object-level authorization check."},
	{RuleAuthMissing, API2, SeverityError,
		"A state-changing operation (POST, PUT, PATCH, DELETE) has no security requirement, or an empty one that makes authentication optional.",
		"Add a security requirement on the operation or globally; remove `{}` alternatives that make it optional."},
	{RuleAuthMissingRead, API2, SeverityWarning,
		"A read operation has no security requirement.",
		"Add a security requirement, or mark deliberately public reads with x-public: true and a description of what they expose."},
	{RuleAuthUndefined, API2, SeverityError,
		"A security requirement names a scheme that components.securitySchemes does not define.",
		"Define the scheme under components.securitySchemes or fix the name."},
	{RuleAuthBasic, API2, SeverityError,
		"A security scheme uses HTTP Basic: a reusable password on every request.",
		"Use bearer tokens (OAuth 2.0 / OpenID Connect), signed requests (SigV4) or mutual TLS."},
	{RuleAuthAPIKeyInQuery, API2, SeverityError,
		"An API key travels in the query string, where logs, proxies and browser history keep it.",
		"Send API keys in a header (in: header)."},
	{RuleAuthInsecureScheme, API2, SeverityError,
		"A security scheme uses an outdated HTTP authentication scheme (digest, negotiate/NTLM, OAuth 1).",
		"Use bearer tokens (OAuth 2.0 / OpenID Connect) or mutual TLS."},
	{RuleAuthOAuthFlow, API2, SeverityWarning,
		"An OAuth 2.0 scheme offers the implicit or password flow, which OAuth 2.1 removes.",
		"Use the authorization code flow with PKCE, or client credentials for machines."},
	{RuleAuthHTTPURL, API2, SeverityError,
		"An OAuth 2.0 or OpenID Connect URL uses http://, so tokens and codes travel in clear text.",
		"Use https:// for token, authorization, refresh and discovery URLs."},
	{RuleAuthCredsInURL, API2, SeverityError,
		"A path or query parameter carries a credential (password, token, secret, API key).",
		"Move credentials to a header (Authorization) or the request body."},
	{RuleAuthEndpointLimits, API2, SeverityWarning,
		"An authentication endpoint (login, token, password reset) documents no 401 or no 429: brute force and credential stuffing are not visibly limited.",
		"Document 401 for bad credentials and 429 with Retry-After for throttled attempts, and enforce both."},
	{RuleAuthNo401, API2, SeverityInfo,
		"A secured operation documents no 401 response.",
		"Document 401 with an error schema (or a 4XX/default response)."},
	{RuleMassAssignment, API3, SeverityWarning,
		"A request object lists its properties but accepts any other (no additionalProperties: false): mass assignment of fields the client must not set.",
		"Set additionalProperties: false (or unevaluatedProperties: false in 3.1) and mark server-owned fields readOnly."},
	{RuleSensitiveExposed, API3, SeverityError,
		"A response schema exposes a sensitive property (password, secret, private key, card number).",
		"Remove the property from responses or mark it writeOnly."},
	{RuleStringUnbounded, API4, SeverityWarning,
		"A string the client sends has no maxLength (nor enum, const or a bounded format such as uuid or date-time).",
		"Add maxLength (or an enum, or a bounded format) and enforce it."},
	{RuleArrayUnbounded, API4, SeverityWarning,
		"An array the client sends has no maxItems.",
		"Add maxItems and enforce it."},
	{RuleIntegerUnbounded, API4, SeverityWarning,
		"A number the client sends (page size, quantity, ...) has no maximum.",
		"Add maximum (and minimum) and enforce them."},
	{RuleNo429, API4, SeverityWarning,
		"An operation documents no 429 response: clients cannot know it is rate limited.",
		"Document 429 with a Retry-After header and an error schema."},
	{RuleNoRetryAfter, API4, SeverityWarning,
		"A 429 response documents no Retry-After (or RateLimit) header.",
		"Add the Retry-After header (and the IETF RateLimit/RateLimit-Policy headers) to the 429 response."},
	{RuleNoRateLimitHeaders, API4, SeverityInfo,
		"No response documents the IETF RateLimit or RateLimit-Policy headers.",
		"Document RateLimit-Policy and RateLimit on successful responses so clients can pace themselves."},
	{RuleAdminNoScopes, API5, SeverityError,
		"An administrative path (admin, internal, manage, debug) is not restricted by a scope or role.",
		"Require an OAuth scope or role in the security requirement (OpenAPI 3.1 allows role names for any scheme) or an x-required-roles extension."},
	{RuleSensitiveFlow, API6, SeverityWarning,
		"A sensitive business flow (checkout, purchase, signup, transfer, booking ...) documents no rate limit: it can be automated at scale.",
		"Document 429 with Retry-After (or an x-rate-limit extension) and enforce per-client limits, with anti-automation where it matters."},
	{RuleSSRF, API7, SeverityWarning,
		"The client sends a URL (format uri, or a name like url, callback, webhook, redirect) that the server may fetch.",
		"Restrict it with an enum or an anchored https pattern of allowed hosts, and validate it server-side against an allow list."},
	{RuleServerHTTP, API8, SeverityError,
		"A server URL uses http://: traffic and credentials in clear text.",
		"Serve over https:// only."},
	{RuleServerHTTPLocal, API8, SeverityInfo,
		"A server URL uses http:// on a loopback host (a local development server).",
		"Fine for local runs; keep it out of published documents."},
	{RuleCORSWildcard, API8, SeverityError,
		"A response documents Access-Control-Allow-Origin: * (any site may read it from a browser).",
		"List the allowed origins instead of *."},
	{RuleNoErrorResponses, API8, SeverityWarning,
		"An operation documents no 4xx response: how it rejects bad input is unknown.",
		"Document 400 (or 422) and the other 4xx it returns, with an error schema."},
	{RuleErrorNoSchema, API8, SeverityWarning,
		"An error response (4xx, 5xx, default) has no content schema: clients cannot parse it and it may leak stack traces.",
		"Give error responses a schema, e.g. application/problem+json (RFC 9457)."},
	{RuleInfoVersion, API9, SeverityError,
		"The document has no info.version.",
		"Set info.version (and version the API in its server URL or paths)."},
	{RuleServersMissing, API9, SeverityWarning,
		"The document lists no servers: which deployments exist is undocumented.",
		"List every environment's server URL with a description."},
	{RuleUnversioned, API9, SeverityInfo,
		"Neither the server URLs nor the paths carry a version (/v1).",
		"Put the major version in the path or server URL so old and new versions can be told apart and retired."},
	{RuleDeprecatedNoSunset, API9, SeverityWarning,
		"A deprecated operation says nothing of when it goes away.",
		"Add x-sunset (a date) or document the Sunset header (RFC 8594) and a migration link."},
	{RuleUndocumented, API9, SeverityInfo,
		"An operation has neither summary nor description.",
		"Describe what the operation does and who may call it."},
	{RuleCallbackUnsecured, API10, SeverityWarning,
		"A callback or webhook the API sends to third parties documents no security (no scheme, no signature header).",
		"Sign callbacks (a signature header such as Webhook-Signature) or document their security scheme, and validate what comes back."},
	{RuleExternalRefHTTP, API10, SeverityError,
		"A $ref loads a definition over http:// from elsewhere: a third party can change the contract in transit.",
		"Vendor the definition or load it over https:// from a pinned version."},
	{RuleExternalRef, API10, SeverityInfo,
		"A $ref points outside this document; it is not audited here.",
		"Audit the referenced document too, and pin its version."},

	{RuleProbeUnauthenticated, API2, SeverityError,
		"Probe: a secured operation answered a request without credentials with success.",
		"Enforce the documented security scheme; answer 401 (or 403) without credentials."},
	{RuleProbeOversized, API4, SeverityError,
		"Probe: an oversized request body was accepted.",
		"Limit request bodies (http.MaxBytesReader) and answer 413."},
	{RuleProbeNoRateLimit, API4, SeverityWarning,
		"Probe: a burst of rapid requests got no 429.",
		"Enforce a rate limit per client and answer 429 with Retry-After."},
	{RuleProbeNoRetryAfter, API4, SeverityWarning,
		"Probe: a 429 came without a Retry-After header.",
		"Send Retry-After (and RateLimit) with every 429."},
	{RuleProbeInconclusive, API8, SeverityInfo,
		"Probe: the answer was neither the refusal expected nor a success (a 404, a 5xx, a network error).",
		"Check the probe's target and the server's error handling."},
}

var ruleByID = func() map[string]Rule {
	m := make(map[string]Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}()

// Rules lists every rule, static and probe, ordered by category and id.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := categoryIndex(out[i].Category), categoryIndex(out[j].Category)
		if ci != cj {
			return ci < cj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// RuleByID finds a rule.
func RuleByID(id string) (Rule, bool) {
	r, ok := ruleByID[id]
	return r, ok
}

func categoryIndex(c string) int {
	for i, k := range []string{API1, API2, API3, API4, API5, API6, API7, API8, API9, API10} {
		if k == c {
			return i
		}
	}
	return 99
}
