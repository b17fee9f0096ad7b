package deploy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// checkStreamArchives: one EventBridge archive per stream of
// config/streams/streams.yaml on the bus, with the stream's retention, the
// api archive taking request.completed and the system one every type no
// other stream claims; and the replay operators' policy.
func checkStreamArchives(ctx context.Context, t *testing.T, c *clients, out *outputs) {
	bus := out.EventBusName.Value
	want := map[string]int32{"api": 7, "security": 30, "system": 14}
	for stream, days := range want {
		a, err := c.events.DescribeArchive(ctx, &eventbridge.DescribeArchiveInput{ArchiveName: aws.String(bus + "-" + stream)})
		if err != nil {
			t.Errorf("archive of stream %s: %v", stream, err)
			continue
		}
		if aws.ToInt32(a.RetentionDays) != days || !strings.HasSuffix(aws.ToString(a.EventSourceArn), "event-bus/"+bus) {
			t.Errorf("archive %s: retention %d days on %s, want %d days on bus %s", stream, aws.ToInt32(a.RetentionDays), aws.ToString(a.EventSourceArn), days, bus)
		}
		var pattern struct {
			DetailType []any `json:"detail-type"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(a.EventPattern)), &pattern); err != nil {
			t.Errorf("archive %s: pattern %s: %v", stream, aws.ToString(a.EventPattern), err)
			continue
		}
		switch stream {
		case "api":
			if !slices.Contains(pattern.DetailType, any("dev.cogniforge.request.completed.v1")) {
				t.Errorf("api archive pattern %s lacks request.completed", aws.ToString(a.EventPattern))
			}
		case "system":
			if !strings.Contains(aws.ToString(a.EventPattern), "anything-but") || !strings.Contains(aws.ToString(a.EventPattern), "dev.cogniforge.audit.recorded.v1") {
				t.Errorf("system archive pattern %s should take every type the others do not", aws.ToString(a.EventPattern))
			}
		}
	}
	ps, err := c.iam.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ps.Policies {
		found = found || aws.ToString(p.PolicyName) == prefix+"-streams-replay"
	}
	if !found {
		t.Errorf("no %s-streams-replay policy", prefix)
	}
}

// checkNoStreamArchives: destroy removed the archives.
func checkNoStreamArchives(ctx context.Context, t *testing.T, c *clients) {
	as, err := c.events.ListArchives(ctx, &eventbridge.ListArchivesInput{NamePrefix: aws.String(prefix + "-")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as.Archives {
		t.Errorf("destroy left archive %s", aws.ToString(a.ArchiveName))
	}
}
