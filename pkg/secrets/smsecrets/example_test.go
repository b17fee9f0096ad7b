package smsecrets_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cogniforge/cogniforge/pkg/secrets/smsecrets"
)

// stubAPI stands in for the SDK client to show what reaches Secrets Manager.
type stubAPI struct{ smsecrets.API }

func (stubAPI) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{
		RotationEnabled:    aws.Bool(true),
		VersionIdsToStages: map[string][]string{"v1": {"AWSCURRENT"}, "tok": {"AWSPENDING"}},
	}, nil
}

// The wiring builds the vault once (smsecrets.NewFromConfig(awsCfg)) and
// hands it to secrets.Rotate with the rotator of the secret.
func Example() {
	v := smsecrets.New(stubAPI{})
	d, err := v.DescribeSecret(context.Background(), "db/orders")
	fmt.Println(err, d.RotationEnabled, d.VersionIdsToStages["tok"])
	// Output: <nil> true [AWSPENDING]
}
