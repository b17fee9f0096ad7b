package governance

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// ---- document level: inventory (API9), transport (API8) ----

var versionSegment = regexp.MustCompile(`(?i)/v\d+(\.\d+)*(/|$)`)

func (a *auditor) checkDocument() {
	ik, info := getKey(a.root, "info")
	if v, ok := str(get(info, "version")); !ok || strings.TrimSpace(v) == "" {
		loc, ln := "info", line(ik)
		if info == nil {
			loc, ln = "", 1
		}
		a.add(RuleInfoVersion, join(loc, "version"), ln, "the document has no info.version")
	}
	sk, servers := getKey(a.root, "servers")
	if len(items(servers)) == 0 {
		ln := line(sk)
		if ln == 0 {
			k, _ := getKey(a.root, "openapi")
			ln = line(k)
		}
		a.add(RuleServersMissing, "servers", ln, "the document lists no servers")
	}
	versioned := false
	a.checkServers(servers, "servers", &versioned)
	for _, p := range pairs(get(a.root, "paths")) {
		if versionSegment.MatchString(p.key) {
			versioned = true
		}
		item, loc, _ := a.resolve(p.value, join("paths", p.key))
		a.checkServers(get(item, "servers"), join(loc, "servers"), &versioned)
		for _, m := range methods {
			a.checkServers(get(get(item, m), "servers"), join(join(loc, m), "servers"), &versioned)
		}
	}
	if !versioned && len(pairs(get(a.root, "paths"))) > 0 {
		a.add(RuleUnversioned, "paths", line(firstKey(a.root, "paths")), "neither server URLs nor paths carry a version such as /v1")
	}
}

func firstKey(m *yaml.Node, key string) *yaml.Node { k, _ := getKey(m, key); return k }

func (a *auditor) checkServers(seq *yaml.Node, loc string, versioned *bool) {
	for i, s := range items(seq) {
		raw := sval(get(s, "url"))
		sloc := join(index(loc, i), "url")
		ln := line(get(s, "url"))
		// Substitute variable defaults: {scheme}://api.example.com
		for _, v := range pairs(get(s, "variables")) {
			raw = strings.ReplaceAll(raw, "{"+v.key+"}", sval(get(v.value, "default")))
		}
		if versionSegment.MatchString(raw) {
			*versioned = true
		}
		u, err := url.Parse(raw)
		if err != nil || !strings.EqualFold(u.Scheme, "http") {
			continue
		}
		h := u.Hostname()
		if h == "localhost" || strings.HasPrefix(h, "127.") || h == "::1" {
			a.add(RuleServerHTTPLocal, sloc, ln, fmt.Sprintf("server %s uses http:// on a loopback host", raw))
		} else {
			a.add(RuleServerHTTP, sloc, ln, fmt.Sprintf("server %s uses plain http://", raw))
		}
	}
}

// ---- security schemes (API2) ----

func (a *auditor) checkSchemes() {
	base := "components.securitySchemes"
	for _, p := range pairs(get(get(a.root, "components"), "securitySchemes")) {
		loc := join(base, p.key)
		s, _, _ := a.resolve(p.value, loc)
		ln := p.line
		switch strings.ToLower(sval(get(s, "type"))) {
		case "http":
			switch strings.ToLower(sval(get(s, "scheme"))) {
			case "basic":
				a.add(RuleAuthBasic, loc, ln, fmt.Sprintf("security scheme %q uses HTTP Basic", p.key))
			case "digest", "negotiate", "ntlm", "oauth":
				a.add(RuleAuthInsecureScheme, loc, ln, fmt.Sprintf("security scheme %q uses the outdated HTTP %q scheme", p.key, sval(get(s, "scheme"))))
			}
		case "apikey":
			if in := sval(get(s, "in")); in == "query" || in == "path" {
				a.add(RuleAuthAPIKeyInQuery, loc, ln, fmt.Sprintf("security scheme %q sends the API key %q in the %s", p.key, sval(get(s, "name")), in))
			}
		case "oauth2":
			for _, f := range pairs(get(s, "flows")) {
				floc := join(join(loc, "flows"), f.key)
				if f.key == "implicit" || f.key == "password" {
					a.add(RuleAuthOAuthFlow, floc, f.line, fmt.Sprintf("security scheme %q offers the OAuth 2.0 %s flow", p.key, f.key))
				}
				for _, k := range []string{"authorizationUrl", "tokenUrl", "refreshUrl"} {
					if u := sval(get(f.value, k)); strings.HasPrefix(strings.ToLower(u), "http://") {
						a.add(RuleAuthHTTPURL, join(floc, k), line(get(f.value, k)), fmt.Sprintf("%s %s uses plain http", k, u))
					}
				}
			}
		case "openidconnect":
			if u := sval(get(s, "openIdConnectUrl")); strings.HasPrefix(strings.ToLower(u), "http://") {
				a.add(RuleAuthHTTPURL, join(loc, "openIdConnectUrl"), line(get(s, "openIdConnectUrl")), fmt.Sprintf("openIdConnectUrl %s uses plain http", u))
			}
		}
	}
}

// ---- per operation ----

var (
	adminWords = set("admin", "admins", "administrator", "administration", "internal", "manage", "management",
		"debug", "superuser", "sudo", "staff", "backoffice", "back-office", "console", "root", "sysadmin")
	authWords = set("login", "signin", "sign-in", "logon", "token", "tokens", "oauth", "oauth2", "authenticate",
		"auth", "password", "passwords", "reset-password", "forgot-password", "otp", "mfa", "2fa")
	flowWords = set("purchase", "purchases", "checkout", "checkouts", "order", "orders", "payment", "payments", "pay",
		"signup", "sign-up", "register", "registration", "registrations", "transfer", "transfers", "booking", "bookings",
		"reserve", "reservation", "reservations", "coupon", "coupons", "redeem", "vote", "votes", "comment", "comments",
		"review", "reviews", "invite", "invites", "invitation", "invitations", "subscribe", "subscription", "subscriptions",
		"ticket", "tickets", "cart", "donate", "donation", "donations", "withdraw", "withdrawal", "withdrawals", "refund", "refunds")
	safeMethods = set("get", "head", "options", "trace")
	authzWords  = []string{"authoriz", "authoris", "owner", "owns", "permission", "access control", "belongs to", "tenant"}
)

func (a *auditor) checkOperation(op *operation) {
	rs := a.responses(op)
	if op.callback {
		a.checkCallback(op)
		return
	}
	reqs, declared, secLoc, secLine := a.security(op)
	secured := !unsecured(reqs)

	// API2: authentication.
	if !secured && !isTrue(get(op.node, "x-public")) {
		why := "has no security requirement"
		if declared && len(reqs) > 0 {
			why = "makes authentication optional with an empty {} requirement"
		} else if declared {
			why = "declares an empty security list"
		}
		if safeMethods[op.method] {
			a.add(RuleAuthMissingRead, op.loc, op.line, fmt.Sprintf("%s %s", opName(op), why))
		} else {
			a.add(RuleAuthMissing, op.loc, op.line, fmt.Sprintf("%s %s", opName(op), why))
		}
	}
	for _, r := range reqs {
		for name := range r {
			if _, ok := a.schemes[name]; !ok {
				a.add(RuleAuthUndefined, secLoc, secLine, fmt.Sprintf("security requirement names the undefined scheme %q", name))
			}
		}
	}
	if secured && !hasResponse(rs, "401", "4XX", "DEFAULT") {
		a.add(RuleAuthNo401, join(op.loc, "responses"), op.line, fmt.Sprintf("%s is secured but documents no 401", opName(op)))
	}
	if seg, ok := anySegment(op.path, authWords); ok {
		var missing []string
		if !hasResponse(rs, "401", "4XX") {
			missing = append(missing, "401")
		}
		if !hasResponse(rs, "429") {
			missing = append(missing, "429")
		}
		if len(missing) > 0 {
			a.add(RuleAuthEndpointLimits, op.loc, op.line, fmt.Sprintf("authentication endpoint %s (%q) documents no %s", opName(op), seg, strings.Join(missing, " and no ")))
		}
	}

	// Parameters: credentials in URLs (API2), object ids (API1), SSRF (API7), sizes (API4).
	authzNote := mentions(op.node, authzWords...) || hasExtension(op.node, "x-authorization", "x-authz", "x-owner-check")
	for _, p := range op.params {
		name, in := sval(get(p.node, "name")), sval(get(p.node, "in"))
		if (in == "query" || in == "path") && credentialName(name) {
			a.add(RuleAuthCredsInURL, p.loc, p.line, fmt.Sprintf("%s parameter %q carries a credential in the URL", in, name))
		}
		sch, _, _ := a.resolve(get(p.node, "schema"), join(p.loc, "schema"))
		if sch == nil {
			for _, mt := range pairs(get(p.node, "content")) {
				sch, _, _ = a.resolve(get(mt.value, "schema"), "")
				break
			}
		}
		if in == "path" && idName(name) && !authzNote && !mentions(p.node, authzWords...) {
			switch t := schemaTypes(sch); {
			case t["integer"] || t["number"]:
				a.add(RuleBOLAIntegerID, p.loc, p.line, fmt.Sprintf("%s names objects by the integer %q with no authorization note", opName(op), name))
			case t["string"] || len(t) == 0:
				f := sval(get(sch, "format"))
				if f != "uuid" && f != "ulid" && get(sch, "pattern") == nil && get(sch, "enum") == nil {
					a.add(RuleBOLAGuessableID, p.loc, p.line, fmt.Sprintf("%s names objects by %q with no uuid format, pattern or authorization note", opName(op), name))
				}
			}
		}
		if in != "header" || !strings.HasPrefix(strings.ToLower(name), "x-") {
			a.checkURLValue(name, sch, p.loc, p.line)
		}
		if ps := get(p.node, "schema"); ps != nil {
			a.walkSchema(ps, join(p.loc, "schema"), line(ps), modeInput, 0, false)
		}
		for _, mt := range pairs(get(p.node, "content")) {
			if s := get(mt.value, "schema"); s != nil {
				a.walkSchema(s, join(join(join(p.loc, "content"), mt.key), "schema"), line(s), modeInput, 0, false)
			}
		}
	}

	// Request body (API3 mass assignment, API4 sizes, API7 URLs).
	body, bloc, _ := a.resolve(get(op.node, "requestBody"), join(op.loc, "requestBody"))
	for _, mt := range pairs(get(body, "content")) {
		if s := get(mt.value, "schema"); s != nil {
			a.walkSchema(s, join(join(join(bloc, "content"), mt.key), "schema"), line(s), modeInput, 0, false)
		}
	}

	// Responses: error handling (API8), exposure (API3), CORS (API8), rate limits (API4).
	hasClientError := false
	for _, r := range rs {
		if (strings.HasPrefix(r.code, "4") && r.code != "429") || r.code == "DEFAULT" {
			hasClientError = true
		}
		isErr := strings.HasPrefix(r.code, "4") || strings.HasPrefix(r.code, "5") || r.code == "DEFAULT"
		if isErr && op.method != "head" && !hasSchema(r.node) {
			a.add(RuleErrorNoSchema, r.loc, r.line, fmt.Sprintf("error response %s has no content schema", r.code))
		}
		for _, mt := range pairs(get(r.node, "content")) {
			if s := get(mt.value, "schema"); s != nil {
				a.walkSchema(s, join(join(join(r.loc, "content"), mt.key), "schema"), line(s), modeOutput, 0, false)
			}
		}
		if h, hloc, hl := a.header(r, "Access-Control-Allow-Origin"); h != nil && wildcard(a, h) {
			a.add(RuleCORSWildcard, hloc, hl, "Access-Control-Allow-Origin is documented as *")
		}
	}
	if !hasClientError && len(rs) > 0 {
		a.add(RuleNoErrorResponses, join(op.loc, "responses"), op.line, fmt.Sprintf("%s documents no 4xx response", opName(op)))
	}
	throttled := a.checkRateLimit(op, rs)

	// API5: admin functions need a scope or role.
	if seg, ok := anySegment(op.path, adminWords); ok {
		scoped := hasExtension(op.node, "x-required-roles", "x-roles", "x-scopes", "x-required-scopes")
		if secured && !scoped {
			scoped = true // every alternative must carry a scope or role
			for _, r := range reqs {
				alt := false
				for _, s := range r {
					if len(s) > 0 {
						alt = true
					}
				}
				scoped = scoped && alt
			}
		}
		if !scoped {
			a.add(RuleAdminNoScopes, op.loc, op.line, fmt.Sprintf("administrative operation %s (%q) requires no scope or role", opName(op), seg))
		}
	}

	// API6: sensitive business flows need documented throttling.
	if !safeMethods[op.method] && op.method != "delete" {
		if seg, ok := anySegment(op.path, flowWords); ok && !throttled {
			a.add(RuleSensitiveFlow, op.loc, op.line, fmt.Sprintf("business flow %s (%q) documents no rate limit", opName(op), seg))
		}
	}

	// API9: inventory.
	if isTrue(get(op.node, "deprecated")) && !hasExtension(op.node, "x-sunset", "x-sunset-date") && !mentions(op.node, "sunset") && !a.documentsHeader(rs, "Sunset") {
		a.add(RuleDeprecatedNoSunset, op.loc, op.line, fmt.Sprintf("%s is deprecated with no sunset date or Sunset header", opName(op)))
	}
	if sval(get(op.node, "summary")) == "" && sval(get(op.node, "description")) == "" {
		a.add(RuleUndocumented, op.loc, op.line, fmt.Sprintf("%s has no summary or description", opName(op)))
	}
}

// checkRateLimit reports a missing 429 or Retry-After; it returns whether
// the operation documents throttling at all.
func (a *auditor) checkRateLimit(op *operation, rs []response) bool {
	ext := hasExtension(op.node, "x-rate-limit", "x-ratelimit", "x-throttling", "x-rate-limits")
	for _, r := range rs {
		if r.code != "429" {
			continue
		}
		if !a.retryHeader(r) {
			a.add(RuleNoRetryAfter, r.loc, r.line, "429 response documents no Retry-After or RateLimit header")
		}
		return true
	}
	for _, r := range rs {
		if r.code == "4XX" && a.retryHeader(r) {
			return true
		}
	}
	if !ext {
		a.add(RuleNo429, join(op.loc, "responses"), op.line, fmt.Sprintf("%s documents no 429 response", opName(op)))
	}
	return ext
}

func (a *auditor) retryHeader(r response) bool {
	for _, h := range []string{"Retry-After", "RateLimit", "RateLimit-Reset", "X-RateLimit-Reset"} {
		if n, _, _ := a.header(r, h); n != nil {
			return true
		}
	}
	return false
}

func (a *auditor) documentsHeader(rs []response, name string) bool {
	for _, r := range rs {
		if n, _, _ := a.header(r, name); n != nil {
			return true
		}
	}
	return false
}

// checkRateLimitHeaders: one document-level note when no response anywhere
// documents the IETF RateLimit headers.
func (a *auditor) checkRateLimitHeaders() {
	served := 0
	for _, op := range a.ops {
		if op.callback {
			continue
		}
		served++
		for _, r := range a.responses(op) {
			for _, h := range []string{"RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining"} {
				if n, _, _ := a.header(r, h); n != nil {
					return
				}
			}
		}
	}
	if served > 0 {
		a.add(RuleNoRateLimitHeaders, "paths", line(firstKey(a.root, "paths")), "no response documents the RateLimit or RateLimit-Policy headers")
	}
}

// ---- API10: callbacks and webhooks ----

func (a *auditor) checkCallback(op *operation) {
	if _, n := getKey(op.node, "security"); n != nil && !unsecured(a.reqsOf(n)) {
		return
	}
	for _, p := range op.params {
		if sval(get(p.node, "in")) == "header" {
			n := strings.ToLower(sval(get(p.node, "name")))
			if strings.Contains(n, "signature") || strings.Contains(n, "hmac") || n == "authorization" {
				return
			}
		}
	}
	if mentions(op.node, "signature", "signed", "hmac", "mtls", "mutual tls") {
		return
	}
	a.add(RuleCallbackUnsecured, op.loc, op.line, fmt.Sprintf("callback %s documents no security or signature", opName(op)))
}

func (a *auditor) reqsOf(n *yaml.Node) []requirement {
	var reqs []requirement
	for _, alt := range items(n) {
		r := requirement{}
		for _, p := range pairs(alt) {
			r[p.key] = nil
		}
		reqs = append(reqs, r)
	}
	return reqs
}

// ---- name heuristics ----

var separators = strings.NewReplacer("_", "", "-", "", ".", "")

func normName(s string) string { return separators.Replace(strings.ToLower(s)) }

func credentialName(name string) bool {
	n := normName(name)
	for _, benign := range []string{"page", "next", "continuation", "cursor", "sync", "csrf", "state"} {
		if strings.Contains(n, benign) {
			return false
		}
	}
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "accesskey", "sessionid", "credential", "privatekey"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "key" || n == "auth" || n == "sig" || n == "signature"
}

func idName(name string) bool {
	if strings.EqualFold(name, "id") {
		return true
	}
	return strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID") ||
		strings.HasSuffix(strings.ToLower(name), "_id") || strings.HasSuffix(strings.ToLower(name), "-id")
}

func urlName(name string) bool {
	n := normName(name)
	for _, w := range []string{"url", "uri", "urls", "uris", "href", "callback", "callbacks", "webhook", "webhooks", "redirect", "redirectto", "endpoint", "returnto"} {
		if strings.HasSuffix(n, w) {
			return true
		}
	}
	return false
}

var sensitiveExact = set("secret", "ssn", "pin", "cvc", "cvv", "cvv2", "pan")

func sensitiveName(name string) bool {
	n := normName(name)
	if sensitiveExact[n] {
		return true
	}
	for _, w := range []string{"password", "passwd", "privatekey", "clientsecret", "secretkey", "cardnumber", "creditcard", "socialsecurity"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

func hasSchema(resp *yaml.Node) bool {
	for _, mt := range pairs(get(resp, "content")) {
		if s := get(mt.value, "schema"); s != nil && !(s.Kind == yaml.MappingNode && len(s.Content) == 0) {
			return true
		}
	}
	return false
}

func wildcard(a *auditor, h *yaml.Node) bool {
	isStar := func(n *yaml.Node) bool { s, ok := str(n); return ok && strings.TrimSpace(s) == "*" }
	if isStar(get(h, "example")) {
		return true
	}
	for _, e := range pairs(get(h, "examples")) {
		if isStar(get(e.value, "value")) {
			return true
		}
	}
	s, _, _ := a.resolve(get(h, "schema"), "")
	if isStar(get(s, "const")) || isStar(get(s, "default")) || isStar(get(s, "example")) {
		return true
	}
	for _, e := range items(get(s, "enum")) {
		if isStar(e) {
			return true
		}
	}
	for _, e := range items(get(s, "examples")) {
		if isStar(e) {
			return true
		}
	}
	return false
}
