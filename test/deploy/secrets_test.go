package deploy_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// rotatorParameterPath is infra/secrets.tf's parameter path for the
// default config_environment.
const rotatorParameterPath = "/cogniforge/dev/secret-rotator"

// exampleRotation is what the rotation plan sets: quarterly, a 3h window.
const exampleRotation = `example_secret_rotation={schedule_expression="rate(90 days)",duration="3h"}`

// rotationAddress is the example secret's rotation schedule in the plan.
const rotationAddress = "module.cogniforge.aws_secretsmanager_secret_rotation.example"

// checkExampleSecret: the example secret exists with its placeholder
// value and no schedule (envs/local leaves it null for moto), and the
// rotator's parameters are under its own path.
func checkExampleSecret(ctx context.Context, t *testing.T, cfg aws.Config) {
	sm := secretsmanager.NewFromConfig(cfg)
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(prefix + "-example-api-key")})
	must(t, err)
	if aws.ToBool(d.RotationEnabled) {
		t.Errorf("example secret has rotation enabled on moto: %+v", d.RotationRules)
	}
	v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: d.ARN})
	must(t, err)
	if !sameJSON(aws.ToString(v.SecretString), `{"user":"example","apiKey":"replaced-at-the-first-rotation"}`) {
		t.Errorf("example secret value %s", aws.ToString(v.SecretString))
	}
	out, err := ssm.NewFromConfig(cfg).GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(rotatorParameterPath), Recursive: aws.Bool(true)})
	must(t, err)
	got := map[string]string{}
	for _, p := range out.Parameters {
		got[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	if got[rotatorParameterPath+"/password/length"] != "32" || got[rotatorParameterPath+"/password/exclude-characters"] == "" || len(got) != 2 {
		t.Errorf("rotator parameters %v", got)
	}
}

// checkRotationPlan: with example_secret_rotation set, the plan adds the
// schedule, on secret-rotator's live alias, and nothing else.
func checkRotationPlan(t *testing.T, p *plan) {
	var found bool
	for _, rc := range p.ResourceChanges {
		if len(rc.Change.Actions) == 1 && (rc.Change.Actions[0] == "no-op" || rc.Change.Actions[0] == "read") {
			continue
		}
		if rc.Type != "aws_secretsmanager_secret_rotation" || rc.Change.Actions[0] != "create" {
			echo := rc.Change.Actions[0] == "update"
			for k, after := range rc.Change.After {
				if before := rc.Change.Before[k]; !reflect.DeepEqual(before, after) && !motoDrift(rc, k, before, after) {
					echo = false
				}
			}
			if !echo {
				t.Errorf("the rotation plan also changes %s (%v)", rc.Address, rc.Change.Actions)
			}
			continue
		}
		found = true
		rules, _ := rc.Change.After["rotation_rules"].([]any)
		if len(rules) != 1 {
			t.Fatalf("rotation rules %v", rc.Change.After["rotation_rules"])
		}
		r, _ := rules[0].(map[string]any)
		if r["schedule_expression"] != "rate(90 days)" || r["duration"] != "3h" {
			t.Errorf("rotation rules %v, want rate(90 days) in a 3h window", r)
		}
		if arn, _ := rc.Change.After["rotation_lambda_arn"].(string); arn == "" || arn[len(arn)-5:] != ":live" {
			t.Errorf("rotation function %q, want secret-rotator's live alias", arn)
		}
	}
	if !found {
		t.Error("no aws_secretsmanager_secret_rotation in the plan with example_secret_rotation set")
	}
}

// checkNoSecretLeft: destroy removed the example secret at once (no
// recovery window) and the rotator's parameters.
func checkNoSecretLeft(ctx context.Context, t *testing.T, cfg aws.Config) {
	list, err := secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	must(t, err)
	for _, s := range list.SecretList {
		t.Errorf("destroy left secret %s", aws.ToString(s.Name))
	}
	out, err := ssm.NewFromConfig(cfg).GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(rotatorParameterPath), Recursive: aws.Bool(true)})
	must(t, err)
	for _, p := range out.Parameters {
		t.Errorf("destroy left parameter %s", aws.ToString(p.Name))
	}
}
