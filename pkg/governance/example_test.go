package governance_test

import (
	"context"
	"fmt"

	"github.com/cogniforge/cogniforge/pkg/governance"
)

func Example() {
	spec := []byte(`
openapi: 3.1.0
info: {title: Users, version: 1.0.0}
servers: [{url: "http://api.example.com/v1"}]
paths:
  /users/{id}:
    delete:
      summary: Delete a user
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, maximum: 1000000}}
      responses:
        "204": {description: deleted}
        "404":
          description: no such user
          content: {application/problem+json: {schema: {type: object}}}
        "429":
          description: slow down
          headers: {Retry-After: {schema: {type: integer, maximum: 60}}}
          content: {application/problem+json: {schema: {type: object}}}
`)
	rep, err := governance.Audit(context.Background(), "users.yaml", spec, governance.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("score", rep.Score)
	for _, f := range rep.Findings {
		if f.Severity == governance.SeverityError {
			fmt.Println(f.Category, f.Rule, f.Path, "line", f.Line)
		}
	}
	// Output:
	// score 22
	// API8:2023 server-http servers[0].url line 4
	// API2:2023 auth-missing paths./users/{id}.delete line 7
	// API1:2023 bola-integer-id paths./users/{id}.delete.parameters[0] line 10
}
