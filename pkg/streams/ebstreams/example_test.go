package ebstreams_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/cogniforge/cogniforge/pkg/streams/ebstreams"
)

// Replay the last hour of the api stream to the slo-aggregator's queue rule.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := ebstreams.New(ebstreams.Config{Client: awseb.NewFromConfig(cfg), Prefix: "cogniforge"})
	res, err := r.Replay(ctx, ebstreams.Request{Name: "incident-42", Stream: "api",
		From: time.Now().Add(-time.Hour), To: time.Now(), Rules: []string{"cogniforge-slo-aggregator-queue"}})
	fmt.Println(res.State, err)
}
