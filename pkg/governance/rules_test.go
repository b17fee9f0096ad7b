package governance

import (
	"context"
	"strings"
	"testing"
)

// spec wraps operations in a document that is otherwise clean.
func spec(paths string, components string) []byte {
	return []byte(`openapi: 3.1.0
info: {title: t, version: 1.0.0}
servers: [{url: "https://api.example.com/v1"}]
security: [{bearer: []}]
paths:
` + paths + `
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
` + components)
}

// TestRuleEdges: one case per edge a rule must get right, each naming a
// (rule, path) that must or must not be reported.
func TestRuleEdges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		doc      []byte
		rule     string
		path     string
		reported bool
	}{
		{"3.1 nullable string unbounded", spec(`  /a:
    post:
      requestBody: {content: {application/json: {schema: {type: object, additionalProperties: false, properties: {n: {type: [string, "null"]}}}}}}
      responses: {"200": {description: ok}}`, ""), RuleStringUnbounded, "paths./a.post.requestBody.content.application/json.schema.properties.n", true},
		{"unevaluatedProperties closes an object", spec(`  /a:
    post:
      requestBody: {content: {application/json: {schema: {type: object, unevaluatedProperties: false, properties: {n: {type: string, maxLength: 3}}}}}}
      responses: {"200": {description: ok}}`, ""), RuleMassAssignment, "paths./a.post.requestBody.content.application/json.schema", false},
		{"response-only objects are not mass assignment", spec(`  /a:
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {type: object, properties: {n: {type: string}}}}}}}`, ""), RuleMassAssignment, "paths./a.get.responses.200.content.application/json.schema", false},
		{"readOnly properties are not input", spec(`  /a:
    post:
      requestBody: {content: {application/json: {schema: {type: object, additionalProperties: false, properties: {id: {type: string, readOnly: true}}}}}}
      responses: {"200": {description: ok}}`, ""), RuleStringUnbounded, "paths./a.post.requestBody.content.application/json.schema.properties.id", false},
		{"a shared parameter is reported per operation", spec(`  /a/{id}:
    get:
      parameters: [{$ref: "#/components/parameters/Id"}]
      responses: {"200": {description: ok}}`, `  parameters:
    Id: {name: id, in: path, required: true, schema: {type: integer, maximum: 10}}
`), RuleBOLAIntegerID, "paths./a/{id}.get.parameters[0]", true},
		{"path-level parameters apply to operations", spec(`  /a/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: integer, maximum: 10}}]
    get:
      responses: {"200": {description: ok}}`, ""), RuleBOLAIntegerID, "paths./a/{id}.parameters[0]", true},
		{"x-authorization is an authorization note", spec(`  /a/{id}:
    get:
      x-authorization: owner
      parameters: [{name: id, in: path, required: true, schema: {type: integer, maximum: 10}}]
      responses: {"200": {description: ok}}`, ""), RuleBOLAIntegerID, "paths./a/{id}.get.parameters[0]", false},
		{"security: [] on a write", spec(`  /a:
    delete:
      security: []
      responses: {"204": {description: ok}}`, ""), RuleAuthMissing, "paths./a.delete", true},
		{"x-public read", spec(`  /health:
    get:
      security: []
      x-public: true
      responses: {"200": {description: ok}}`, ""), RuleAuthMissingRead, "paths./health.get", false},
		{"admin with a 3.1 role", spec(`  /admin/x:
    get:
      security: [{bearer: [platform-admin]}]
      responses: {"200": {description: ok}}`, ""), RuleAdminNoScopes, "paths./admin/x.get", false},
		{"admin-ish word inside a segment", spec(`  /admin-users:
    get:
      responses: {"200": {description: ok}}`, ""), RuleAdminNoScopes, "paths./admin-users.get", true},
		{"4XX with Retry-After counts as a 429", spec(`  /a:
    get:
      responses:
        "200": {description: ok}
        "4XX": {description: e, headers: {Retry-After: {schema: {type: integer, maximum: 5}}}, content: {application/json: {schema: {type: object}}}}`, ""), RuleNo429, "paths./a.get.responses", false},
		{"URL query parameter with a pattern", spec(`  /a:
    get:
      parameters: [{name: redirect_uri, in: query, schema: {type: string, maxLength: 100, pattern: "^https://app\\.example\\.com/"}}]
      responses: {"200": {description: ok}}`, ""), RuleSSRF, "paths./a.get.parameters[0]", false},
		{"URL parameter in content", spec(`  /a:
    get:
      parameters: [{name: target, in: query, content: {application/json: {schema: {type: string, format: uri, maxLength: 9}}}}]
      responses: {"200": {description: ok}}`, ""), RuleSSRF, "paths./a.get.parameters[0]", true},
		{"pagination token is no credential", spec(`  /a:
    get:
      parameters: [{name: nextToken, in: query, schema: {type: string, maxLength: 100}}]
      responses: {"200": {description: ok}}`, ""), RuleAuthCredsInURL, "paths./a.get.parameters[0]", false},
		{"server variables substituted", []byte(`openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "{scheme}://api.example.com", variables: {scheme: {default: http}}}]
paths: {}`), RuleServerHTTP, "servers[0].url", true},
		{"CORS wildcard through a header $ref", spec(`  /a:
    get:
      responses: {"200": {description: ok, headers: {access-control-allow-origin: {$ref: "#/components/headers/ACAO"}}}}`, `  headers:
    ACAO: {schema: {type: string}, example: "*"}
`), RuleCORSWildcard, "components.headers.ACAO", true},
		{"deprecated with a Sunset header", spec(`  /a:
    get:
      deprecated: true
      responses: {"200": {description: ok, headers: {Sunset: {schema: {type: string}}}}}`, ""), RuleDeprecatedNoSunset, "paths./a.get", false},
		{"webhook with security", []byte(`openapi: 3.1.0
info: {title: t, version: "1"}
webhooks:
  paid:
    post:
      security: [{hmac: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    hmac: {type: apiKey, in: header, name: X-Signature}`), RuleCallbackUnsecured, "webhooks.paid.post", false},
		{"https external ref is info only", spec(`  /a:
    get:
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "https://schemas.example.com/a.json"}}}}}`, ""), RuleExternalRef, "paths./a.get.responses.200.content.application/json.schema", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Audit(context.Background(), "t", tc.doc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			var all []string
			for _, f := range rep.Findings {
				all = append(all, f.Rule+" "+f.Path)
				if f.Rule == tc.rule && f.Path == tc.path {
					found = true
				}
			}
			if found != tc.reported {
				t.Errorf("%s at %s reported = %v, want %v; findings:\n%s", tc.rule, tc.path, found, tc.reported, strings.Join(all, "\n"))
			}
		})
	}
}
