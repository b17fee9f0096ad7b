package ssmconfig_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	cfconfig "github.com/cogniforge/cogniforge/pkg/config"
	"github.com/cogniforge/cogniforge/pkg/config/ssmconfig"
)

// A function's main wires SSM once at cold start and reads its own path
// through a cached Loader.
func Example() {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	ps := ssmconfig.New(ssm.NewFromConfig(awsCfg))
	type Settings struct {
		Table string `config:"table,required"`
	}
	loader, err := cfconfig.NewLoader[Settings](ps, "prod", "orders", nil, cfconfig.LoaderConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = loader // loader.Get(ctx) in the handler
}
