// Command bare is the yardstick of test/coldstart: the smallest aws-lambda-go
// function, an echo of its payload. Function binaries are measured against
// it in the same run, so a slow or loaded machine slows both alike.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
}
