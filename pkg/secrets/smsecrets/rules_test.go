package smsecrets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
)

// rulesAPI records RotateSecret and answers DescribeSecret and ListSecrets
// as Secrets Manager does for a secret with a schedule.
type rulesAPI struct {
	smsecrets.API
	rotate *secretsmanager.RotateSecretInput
}

var (
	created = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	rotated = time.Date(2026, 11, 30, 1, 12, 0, 0, time.UTC)
	awsRule = &types.RotationRulesType{ScheduleExpression: aws.String("rate(90 days)"), Duration: aws.String("3h"), AutomaticallyAfterDays: aws.Int64(90)}
)

func (r *rulesAPI) RotateSecret(_ context.Context, in *secretsmanager.RotateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error) {
	r.rotate = in
	return &secretsmanager.RotateSecretOutput{}, nil
}
func (r *rulesAPI) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{RotationEnabled: aws.Bool(true), RotationRules: awsRule, CreatedDate: &created, LastRotatedDate: &rotated}, nil
}
func (r *rulesAPI) ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	return &secretsmanager.ListSecretsOutput{SecretList: []types.SecretListEntry{
		{Name: aws.String("b"), CreatedDate: &created},
		{Name: aws.String("a"), RotationEnabled: aws.Bool(true), RotationRules: awsRule, CreatedDate: &created, LastRotatedDate: &rotated},
	}}, nil
}

// moto's RotateSecret rotates at once whatever RotateImmediately says and
// keeps no rules, so the request and the reading of AWS's answers are
// checked against a recording client instead.
func TestRotationRules(t *testing.T) {
	ctx := context.Background()
	api := &rulesAPI{}
	v := smsecrets.New(api)
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:cogniforge-secret-rotator:live"
	if err := v.SetRotationRules(ctx, "a", fn, secrets.RotationRules{ScheduleExpression: "rate(90 days)", Duration: "3h"}); err != nil {
		t.Fatal(err)
	}
	in := api.rotate
	if aws.ToBool(in.RotateImmediately) || in.RotateImmediately == nil || aws.ToString(in.RotationLambdaARN) != fn ||
		aws.ToString(in.RotationRules.ScheduleExpression) != "rate(90 days)" || aws.ToString(in.RotationRules.Duration) != "3h" || in.RotationRules.AutomaticallyAfterDays != nil {
		t.Fatalf("RotateSecret input %+v rules %+v", in, in.RotationRules)
	}
	if err := v.SetRotationRules(ctx, "a", "", secrets.RotationRules{AutomaticallyAfterDays: 30}); err != nil || aws.ToInt64(api.rotate.RotationRules.AutomaticallyAfterDays) != 30 || api.rotate.RotationLambdaARN != nil {
		t.Fatalf("after days: %v %+v", err, api.rotate)
	}
	api.rotate = nil
	if err := v.SetRotationRules(ctx, "a", fn, secrets.RotationRules{ScheduleExpression: "rate(1 hour)"}); !errors.Is(err, secrets.ErrInvalidPolicy) || api.rotate != nil {
		t.Fatalf("bad rules: %v, called %v", err, api.rotate != nil)
	}
	want := secrets.RotationRules{ScheduleExpression: "rate(90 days)", Duration: "3h"}
	d, err := v.DescribeSecret(ctx, "a")
	if err != nil || d.Rules != want || !d.LastRotatedDate.Equal(rotated) || !d.CreatedDate.Equal(created) || d.LastRotation() != rotated {
		t.Fatalf("describe %+v %v", d, err)
	}
	list, err := v.ListSecrets(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[0].Rules != want || !list[1].Rules.IsZero() || list[1].LastRotation() != created {
		t.Fatalf("list %+v %v", list, err)
	}
}
