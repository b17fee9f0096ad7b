package ssmconfig_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/configtest"
	"github.com/cogniforge/cogniforge/pkg/config/ssmconfig"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// TestContract runs the ParameterStore contract against SSM in moto, the
// same suite the embedded store passes.
func TestContract(t *testing.T) {
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	st := ssmconfig.New(ssm.NewFromConfig(cfg))
	configtest.Run(t, func(t *testing.T) config.ParameterStore { return st })
}
