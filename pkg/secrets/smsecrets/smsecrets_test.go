package smsecrets_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/secretstest"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
	"github.com/cogniforge/cogniforge/test/testenv"
)

func client(endpoint string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

const rotatorARN = "arn:aws:lambda:us-east-1:123456789012:function:secret-rotator"

// prefixed keeps the suite's tests apart on one moto: each harness names
// its secrets with its own prefix (a moto per test would cost a second
// of start-up each).
type prefixed struct {
	secrets.Vault
	prefix string
}

func (p prefixed) DescribeSecret(ctx context.Context, id string) (secrets.Description, error) {
	return p.Vault.DescribeSecret(ctx, p.prefix+id)
}
func (p prefixed) GetSecretValue(ctx context.Context, id, v, s string) (secrets.Value, error) {
	return p.Vault.GetSecretValue(ctx, p.prefix+id, v, s)
}
func (p prefixed) PutSecretValue(ctx context.Context, id, tok string, val []byte, st []string) error {
	return p.Vault.PutSecretValue(ctx, p.prefix+id, tok, val, st)
}
func (p prefixed) UpdateSecretVersionStage(ctx context.Context, id, st, to, from string) error {
	return p.Vault.UpdateSecretVersionStage(ctx, p.prefix+id, st, to, from)
}

// TestMotoContract runs the contract suite against moto's Secrets Manager.
func TestMotoContract(t *testing.T) {
	api := client(testenv.StartMoto(t))
	var n atomic.Int64
	secretstest.Run(t, func(t *testing.T) secretstest.Harness {
		prefix := fmt.Sprintf("t%d-", n.Add(1))
		v := prefixed{Vault: smsecrets.New(api), prefix: prefix}
		return secretstest.Harness{
			Vault: v,
			Create: func(t *testing.T, id string, value []byte) {
				_, err := api.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
					Name: aws.String(prefix + id), SecretString: aws.String(string(value)),
					ClientRequestToken: aws.String("00000000-0000-4000-8000-000000000000"),
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			Start: func(t *testing.T, id, token string) error { return startRotation(t, api, v, prefix+id, id, token) },
		}
	})
}

// startRotation gives the secret the shape RotateSecret leaves in AWS
// before the rotation function runs: rotation enabled and an AWSPENDING
// version token without a value. moto cannot invoke the function (no
// Docker), so its immediate RotateSecret fails after adding the stub; a
// scheduled RotateSecret first enables rotation. AWS refuses RotateSecret
// while a previous rotation is incomplete, and so does this.
func startRotation(t *testing.T, api *secretsmanager.Client, v secrets.Vault, name, id, token string) error {
	t.Helper()
	ctx := context.Background()
	d, err := v.DescribeSecret(ctx, id)
	if err != nil {
		return err
	}
	for vid, st := range d.VersionIdsToStages {
		if vid != token && slices.Contains(st, secrets.StagePending) && !slices.Contains(st, secrets.StageCurrent) {
			return &secrets.Error{Name: secrets.ErrRotationInProgress.Name, Msg: "a previous rotation isn't complete: version " + vid + " is AWSPENDING"}
		}
	}
	// moto answers this one 404 (it looks the function up) but enables
	// rotation before it does; the check below is what counts.
	_, _ = api.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String(name), RotationLambdaARN: aws.String(rotatorARN),
		RotationRules:     &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
		RotateImmediately: aws.Bool(false),
	})
	_, rerr := api.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String(name), ClientRequestToken: aws.String(token), RotationLambdaARN: aws.String(rotatorARN),
	})
	d, err = v.DescribeSecret(ctx, id)
	if err != nil {
		return err
	}
	if !d.RotationEnabled || !slices.Contains(d.VersionIdsToStages[token], secrets.StagePending) {
		return fmt.Errorf("moto did not leave the RotateSecret shape (enabled=%v versions=%v): %v", d.RotationEnabled, d.VersionIdsToStages, rerr)
	}
	return nil
}
