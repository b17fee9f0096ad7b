package smsecrets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
)

// errAPI answers every call with err, and GetSecretValue with get.
type errAPI struct {
	smsecrets.API
	err error
	get *secretsmanager.GetSecretValueOutput
}

func (e errAPI) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return nil, e.err
}
func (e errAPI) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if e.get != nil {
		return e.get, nil
	}
	return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
}
func (e errAPI) PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	return nil, e.err
}
func (e errAPI) UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	return nil, e.err
}

func TestErrorMapping(t *testing.T) {
	ctx := context.Background()
	other := errors.New("throttled")
	cases := []struct {
		name string
		api  errAPI
		call func(v *smsecrets.Vault) error
		want error
	}{
		{"DescribeMissingSecret", errAPI{err: &types.ResourceNotFoundException{Message: aws.String("x")}},
			func(v *smsecrets.Vault) error { _, err := v.DescribeSecret(ctx, "s"); return err }, secrets.ErrSecretNotFound},
		{"GetMissingVersion", errAPI{},
			func(v *smsecrets.Vault) error {
				_, err := v.GetSecretValue(ctx, "s", "tok", secrets.StagePending)
				return err
			}, secrets.ErrVersionNotFound},
		{"PutExistsFromAWS", errAPI{err: &types.ResourceExistsException{Message: aws.String("x")}},
			func(v *smsecrets.Vault) error { return v.PutSecretValue(ctx, "s", "tok", []byte("b"), nil) }, secrets.ErrTokenConflict},
		{"PutDifferentValueSeenFirst", errAPI{get: &secretsmanager.GetSecretValueOutput{VersionId: aws.String("tok"), SecretString: aws.String("a")}},
			func(v *smsecrets.Vault) error { return v.PutSecretValue(ctx, "s", "tok", []byte("b"), nil) }, secrets.ErrTokenConflict},
		{"StageInvalidParameter", errAPI{err: &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "stage on another version"}},
			func(v *smsecrets.Vault) error {
				return v.UpdateSecretVersionStage(ctx, "s", secrets.StageCurrent, "b", "a")
			}, secrets.ErrInvalidStage},
		{"OtherKept", errAPI{err: other},
			func(v *smsecrets.Vault) error {
				return v.UpdateSecretVersionStage(ctx, "s", secrets.StageCurrent, "b", "a")
			}, other},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(smsecrets.New(c.api)); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	// Same token, same value: the put is skipped, as AWS treats it.
	v := smsecrets.New(errAPI{err: other, get: &secretsmanager.GetSecretValueOutput{SecretString: aws.String("a")}})
	if err := v.PutSecretValue(ctx, "s", "tok", []byte("a"), nil); err != nil {
		t.Fatalf("idempotent put: %v", err)
	}
}
