// Package smsecrets is the secrets.Vault over AWS Secrets Manager. It is
// the only part of the secrets capability that links the AWS SDK, so the
// protocol engine stays free of platforms; the wiring builds it with
// NewFromConfig.
package smsecrets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/cogniforge/cogniforge/pkg/secrets"
)

// API is the part of the Secrets Manager client the vault uses.
type API interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(context.Context, *secretsmanager.UpdateSecretVersionStageInput, ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
	GetRandomPassword(context.Context, *secretsmanager.GetRandomPasswordInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error)
}

// Vault implements secrets.Vault with Secrets Manager.
type Vault struct{ api API }

var _ secrets.Vault = (*Vault)(nil)

// New returns a Vault over api.
func New(api API) *Vault { return &Vault{api: api} }

// NewFromConfig returns a Vault over a Secrets Manager client built from cfg.
func NewFromConfig(cfg aws.Config, opts ...func(*secretsmanager.Options)) *Vault {
	return New(secretsmanager.NewFromConfig(cfg, opts...))
}

// DescribeSecret implements secrets.Vault.
func (v *Vault) DescribeSecret(ctx context.Context, id string) (secrets.Description, error) {
	out, err := v.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return secrets.Description{}, mapErr(err, id)
	}
	return describe(id, aws.ToBool(out.RotationEnabled), out.VersionIdsToStages, out.RotationRules, out.CreatedDate, out.LastRotatedDate), nil
}

func describe(id string, enabled bool, stages map[string][]string, rules *types.RotationRulesType, created, rotated *time.Time) secrets.Description {
	d := secrets.Description{ID: id, RotationEnabled: enabled, VersionIdsToStages: map[string][]string{}}
	for vid, st := range stages {
		d.VersionIdsToStages[vid] = append([]string(nil), st...)
	}
	if rules != nil {
		d.Rules = secrets.RotationRules{
			AutomaticallyAfterDays: aws.ToInt64(rules.AutomaticallyAfterDays),
			ScheduleExpression:     aws.ToString(rules.ScheduleExpression),
			Duration:               aws.ToString(rules.Duration),
		}
		// DescribeSecret reports AutomaticallyAfterDays computed from a
		// ScheduleExpression too; the expression is the rule.
		if d.Rules.ScheduleExpression != "" {
			d.Rules.AutomaticallyAfterDays = 0
		}
	}
	if created != nil {
		d.CreatedDate = created.UTC()
	}
	if rotated != nil {
		d.LastRotatedDate = rotated.UTC()
	}
	return d
}

// AdminAPI is what ListSecrets and SetRotationRules need beyond API:
// operator tooling, not the rotation protocol. The SDK client has both.
type AdminAPI interface {
	ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	RotateSecret(context.Context, *secretsmanager.RotateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RotateSecretOutput, error)
}

func (v *Vault) admin() (AdminAPI, error) {
	a, ok := v.api.(AdminAPI)
	if !ok {
		return nil, errors.New("secretsmanager: the client cannot list secrets or set rotation rules")
	}
	return a, nil
}

// ListSecrets describes every secret, sorted by name, as `cogniforge
// secrets due --aws` and the compliance report read them.
func (v *Vault) ListSecrets(ctx context.Context) ([]secrets.Description, error) {
	a, err := v.admin()
	if err != nil {
		return nil, err
	}
	var out []secrets.Description
	p := secretsmanager.NewListSecretsPaginator(a, &secretsmanager.ListSecretsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("secretsmanager: list secrets: %w", err)
		}
		for _, e := range page.SecretList {
			out = append(out, describe(aws.ToString(e.Name), aws.ToBool(e.RotationEnabled), e.SecretVersionsToStages, e.RotationRules, e.CreatedDate, e.LastRotatedDate))
		}
	}
	slices.SortFunc(out, func(a, b secrets.Description) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// SetRotationRules sets the secret's rotation rules with RotateSecret,
// RotateImmediately false, so the schedule changes and no rotation starts
// now. lambdaARN is the rotation function (empty: the one already
// configured). The rules are checked with secrets.ParsePolicy first.
func (v *Vault) SetRotationRules(ctx context.Context, id, lambdaARN string, rules secrets.RotationRules) error {
	if _, err := secrets.ParsePolicy(rules); err != nil {
		return err
	}
	a, err := v.admin()
	if err != nil {
		return err
	}
	in := &secretsmanager.RotateSecretInput{SecretId: aws.String(id), RotateImmediately: aws.Bool(false), RotationRules: &types.RotationRulesType{}}
	if rules.ScheduleExpression != "" {
		in.RotationRules.ScheduleExpression = aws.String(rules.ScheduleExpression)
	} else {
		in.RotationRules.AutomaticallyAfterDays = aws.Int64(rules.AutomaticallyAfterDays)
	}
	if rules.Duration != "" {
		in.RotationRules.Duration = aws.String(rules.Duration)
	}
	if lambdaARN != "" {
		in.RotationLambdaARN = aws.String(lambdaARN)
	}
	_, err = a.RotateSecret(ctx, in)
	return mapErr(err, id)
}

// GetSecretValue implements secrets.Vault. A version with no value (the
// stub RotateSecret leaves) answers ResourceNotFoundException, mapped to
// secrets.ErrVersionNotFound.
func (v *Vault) GetSecretValue(ctx context.Context, id, versionID, stage string) (secrets.Value, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	out, err := v.api.GetSecretValue(ctx, in)
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return secrets.Value{}, &secrets.Error{Name: secrets.ErrVersionNotFound.Name, Msg: fmt.Sprintf("secret %s version %q stage %q", id, versionID, stage), Err: err}
		}
		return secrets.Value{}, mapErr(err, id)
	}
	val := out.SecretBinary
	if out.SecretString != nil {
		val = []byte(*out.SecretString)
	}
	return secrets.Value{VersionID: aws.ToString(out.VersionId), Stages: out.VersionStages, Bytes: val}, nil
}

// PutSecretValue implements secrets.Vault. It reads the token's version
// first: Secrets Manager answers a different value for an existing token
// with ResourceExistsException, but not every endpoint does (moto
// overwrites), and a rotation step must never replace a value a target
// may already hold. Rotation is rare, so the extra read costs nothing.
func (v *Vault) PutSecretValue(ctx context.Context, id, token string, value []byte, stages []string) error {
	old, err := v.GetSecretValue(ctx, id, token, "")
	switch {
	case err == nil && string(old.Bytes) == string(value):
		return nil // same token, same value: idempotent
	case err == nil:
		return &secrets.Error{Name: secrets.ErrTokenConflict.Name, Msg: fmt.Sprintf("secret %s version %s already holds a different value", id, token)}
	case !errors.Is(err, secrets.ErrVersionNotFound):
		return err
	}
	_, err = v.api.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(id), ClientRequestToken: aws.String(token),
		SecretString: aws.String(string(value)), VersionStages: stages,
	})
	if err != nil {
		var ex *types.ResourceExistsException
		if errors.As(err, &ex) {
			return &secrets.Error{Name: secrets.ErrTokenConflict.Name, Msg: fmt.Sprintf("secret %s version %s", id, token), Err: err}
		}
		return mapErr(err, id)
	}
	return nil
}

// UpdateSecretVersionStage implements secrets.Vault.
func (v *Vault) UpdateSecretVersionStage(ctx context.Context, id, stage, moveTo, removeFrom string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(id), VersionStage: aws.String(stage)}
	if moveTo != "" {
		in.MoveToVersionId = aws.String(moveTo)
	}
	if removeFrom != "" {
		in.RemoveFromVersionId = aws.String(removeFrom)
	}
	_, err := v.api.UpdateSecretVersionStage(ctx, in)
	return mapErr(err, id)
}

// GetRandomPassword implements secrets.Vault.
func (v *Vault) GetRandomPassword(ctx context.Context, p secrets.PasswordPolicy) (string, error) {
	in := &secretsmanager.GetRandomPasswordInput{
		ExcludeLowercase: aws.Bool(p.ExcludeLowercase), ExcludeUppercase: aws.Bool(p.ExcludeUppercase),
		ExcludeNumbers: aws.Bool(p.ExcludeNumbers), ExcludePunctuation: aws.Bool(p.ExcludePunctuation),
		IncludeSpace: aws.Bool(p.IncludeSpace), RequireEachIncludedType: aws.Bool(p.RequireEachIncludedType),
	}
	if p.Length > 0 {
		in.PasswordLength = aws.Int64(int64(p.Length))
	}
	if p.ExcludeCharacters != "" {
		in.ExcludeCharacters = aws.String(p.ExcludeCharacters)
	}
	out, err := v.api.GetRandomPassword(ctx, in)
	if err != nil {
		return "", mapErr(err, "")
	}
	return aws.ToString(out.RandomPassword), nil
}

// mapErr names the errors the protocol tells apart and keeps the rest.
func mapErr(err error, id string) error {
	if err == nil {
		return nil
	}
	var nf *types.ResourceNotFoundException
	if errors.As(err, &nf) {
		return &secrets.Error{Name: secrets.ErrSecretNotFound.Name, Msg: "secret " + id, Err: err}
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "InvalidParameterException" {
		return &secrets.Error{Name: secrets.ErrInvalidStage.Name, Msg: "secret " + id, Err: err}
	}
	return fmt.Errorf("secretsmanager: %s: %w", id, err)
}
