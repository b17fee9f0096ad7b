package secretstest

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
)

// RotatorARN is the rotation function StartRotation names; moto looks it up
// and, finding no function, does not invoke it.
const RotatorARN = "arn:aws:lambda:us-east-1:123456789012:function:secret-rotator"

// SecretsManager is a secrets.Vault on Secrets Manager (moto in tests)
// through smsecrets, plus the two calls around a rotation that are not part
// of the port, with the same signatures as secrets.FileVault's, so one test
// body runs over either backend.
type SecretsManager struct {
	*smsecrets.Vault
	API *secretsmanager.Client
}

// NewSecretsManager returns the backend on the client api.
func NewSecretsManager(api *secretsmanager.Client) SecretsManager {
	return SecretsManager{Vault: smsecrets.New(api), API: api}
}

// CreateSecret creates secret id whose first version, versionID, holds
// value as AWSCURRENT.
func (m SecretsManager) CreateSecret(ctx context.Context, id, versionID string, value []byte) error {
	_, err := m.API.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(id), SecretString: aws.String(string(value)), ClientRequestToken: aws.String(versionID),
	})
	return err
}

// StartRotation leaves what RotateSecret leaves in AWS before it invokes
// the function: rotation enabled and an AWSPENDING version token with no
// value. moto then fails to invoke the function (it cannot run it without
// Docker); that error is expected and the resulting shape is what is
// checked. Starting the same token again is a no-op, and another token is
// refused while a previous rotation is incomplete, as AWS refuses it.
func (m SecretsManager) StartRotation(ctx context.Context, id, token string) error {
	d, err := m.DescribeSecret(ctx, id)
	if err != nil {
		return err
	}
	for vid, st := range d.VersionIdsToStages {
		if slices.Contains(st, secrets.StagePending) && !slices.Contains(st, secrets.StageCurrent) {
			if vid == token {
				return nil // a retried rotation of the same token
			}
			return &secrets.Error{Name: secrets.ErrRotationInProgress.Name, Msg: "a previous rotation isn't complete: version " + vid + " is AWSPENDING"}
		}
	}
	// moto answers this one 404 (it looks the function up) but enables
	// rotation before it does; the check below is what counts.
	_, _ = m.API.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String(id), RotationLambdaARN: aws.String(RotatorARN),
		RotationRules:     &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
		RotateImmediately: aws.Bool(false),
	})
	_, rerr := m.API.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String(id), ClientRequestToken: aws.String(token), RotationLambdaARN: aws.String(RotatorARN),
	})
	if d, err = m.DescribeSecret(ctx, id); err != nil {
		return err
	}
	if !d.RotationEnabled || !slices.Contains(d.VersionIdsToStages[token], secrets.StagePending) {
		return fmt.Errorf("moto did not leave the RotateSecret shape (enabled=%v versions=%v): %v", d.RotationEnabled, d.VersionIdsToStages, rerr)
	}
	return nil
}
