package wiring

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// EnvStateMachineARNPrefix is the ARN of the deployed state machines up to
// their name ("arn:aws:states:REGION:ACCOUNT:stateMachine:cogniforge-"), so a
// function can start "incident-escalation" by name.
const EnvStateMachineARNPrefix = "COGNIFORGE_STATE_MACHINE_ARN_PREFIX"

// Executions starts state machine executions by machine name. Starting a
// name that already ran is ErrExecutionExists (the caller decides whether
// that is fine: for an idempotent start it is).
type Executions interface {
	StartExecution(ctx context.Context, machine, name, input string) error
}

// ErrExecutionExists: an execution with the name exists already.
var ErrExecutionExists = errors.New("wiring: execution already exists")

type sfnExecutions struct {
	client *sfn.Client
	prefix string
}

func (e sfnExecutions) StartExecution(ctx context.Context, machine, name, input string) error {
	_, err := e.client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(e.prefix + machine), Name: aws.String(name), Input: aws.String(input),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return fmt.Errorf("%w: %s/%s", ErrExecutionExists, machine, name)
	}
	return err
}

// executionsFromEnv is Step Functions when the environment names the
// machines' ARN prefix.
func executionsFromEnv(env Env, cfg *aws.Config) Executions {
	prefix := env(EnvStateMachineARNPrefix)
	if cfg == nil || prefix == "" {
		return nil
	}
	return sfnExecutions{client: sfn.NewFromConfig(*cfg), prefix: prefix}
}
