package deploy_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// largeSLOFile is the file of the deployed config copy that is padded past
// SSM's Standard tier (4096 bytes) while staying under 4096 characters, so
// the tier is shown to follow bytes.
const largeSLOFile = "availability.yaml"

// configCopy copies the repository's config/ into dir and pads
// largeSLOFile with comments of two-byte characters past 4096 bytes; it
// returns dir.
func configCopy(t *testing.T, root, dir string) string {
	t.Helper()
	src := filepath.Join(root, "config", "slos")
	files, err := filepath.Glob(filepath.Join(src, "*.y*ml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("config/slos has no definitions to deploy (%v)", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "slos"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := copyFile(f, filepath.Join(dir, "slos", filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	// The chaos experiments, for the game-day schedules (infra/chaos.tf).
	chaosFiles, _ := filepath.Glob(filepath.Join(root, "config", "chaos", "*.yaml"))
	if err := os.MkdirAll(filepath.Join(dir, "chaos"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range chaosFiles {
		if err := copyFile(f, filepath.Join(dir, "chaos", filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	large := filepath.Join(dir, "slos", largeSLOFile)
	b, err := os.ReadFile(large)
	if err != nil {
		t.Fatalf("%s: %v (the deploy test pads it to exercise the Advanced tier)", largeSLOFile, err)
	}
	line := "# padding for the deploy test: " + strings.Repeat("é", 40) + "\n"
	for len(b) <= 4096 {
		b = append(b, line...)
	}
	if utf8.RuneCount(b) > 4096 {
		t.Fatalf("padded %s has %d characters; keep it under 4096 so bytes, not characters, decide its tier", largeSLOFile, utf8.RuneCount(b))
	}
	if err := os.WriteFile(large, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkSLODefinitions: every file of the config copy is one String
// parameter at <path>/slos/<file> holding the file, Advanced only past 4096
// bytes; and what the functions read (wiring.SSMConfig, then slofn) is
// what they would read from the directory locally.
func checkSLODefinitions(ctx context.Context, t *testing.T, c *clients, config string, out *outputs) {
	path := out.ConfigSSMPath.Value
	if path == "" {
		t.Fatal("no config_ssm_path output")
	}
	local, err := wiring.DirConfig(config)(ctx, slofn.ConfigKind)
	if err != nil || len(local) == 0 {
		t.Fatalf("config copy %s: %d files, %v", config, len(local), err)
	}
	if len(out.SLOParameters.Value) != len(local) {
		t.Errorf("slo_parameters %v: %d parameters for %d files", out.SLOParameters.Value, len(out.SLOParameters.Value), len(local))
	}
	sawAdvanced := false
	for _, f := range local {
		base := filepath.Base(f.Name)
		name := path + "/slos/" + base
		if got := out.SLOParameters.Value[base]; got != name {
			t.Errorf("parameter of %s is %q, want %q", base, got, name)
		}
		p, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Errorf("%s: GetParameter(%s): %v", base, name, err)
			continue
		}
		if aws.ToString(p.Parameter.Value) != string(f.Data) || p.Parameter.Type != "String" {
			t.Errorf("%s: parameter %s is a %s holding %d bytes, want a String holding the file's %d", base, name, p.Parameter.Type, len(aws.ToString(p.Parameter.Value)), len(f.Data))
		}
		d, err := c.ssm.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
			{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}},
		}})
		if err != nil || len(d.Parameters) != 1 {
			t.Errorf("%s: DescribeParameters(%s): %+v %v", base, name, d, err)
			continue
		}
		want := ssmtypes.ParameterTierStandard
		if len(f.Data) > 4096 {
			want, sawAdvanced = ssmtypes.ParameterTierAdvanced, true
		}
		if got := d.Parameters[0].Tier; got != want {
			t.Errorf("%s (%d bytes): tier %s, want %s", base, len(f.Data), got, want)
		}
	}
	if !sawAdvanced {
		t.Errorf("no file over 4096 bytes was deployed: the Advanced tier went untested")
	}

	// The functions' own read path, against what was deployed.
	deployed, err := wiring.SSMConfig(c.ssm, path)(ctx, slofn.ConfigKind)
	if err != nil {
		t.Fatalf("SSMConfig(%s): %v", path, err)
	}
	if len(deployed) != len(local) {
		t.Fatalf("SSMConfig(%s) read %d files, want the %d of the directory", path, len(deployed), len(local))
	}
	for i := range local {
		if deployed[i].Name != "ssm:"+path+"/slos/"+filepath.Base(local[i].Name) || string(deployed[i].Data) != string(local[i].Data) {
			t.Errorf("SSMConfig file %d is %s (%d bytes), want ssm:%s/slos/%s (%d bytes)", i, deployed[i].Name, len(deployed[i].Data), path, filepath.Base(local[i].Name), len(local[i].Data))
		}
	}
	fromSSM, err := slofn.Definitions(ctx, wiring.Ports{Config: wiring.SSMConfig(c.ssm, path)})
	if err != nil {
		t.Fatalf("the deployed definitions do not compile: %v", err)
	}
	fromDir, err := slofn.Definitions(ctx, wiring.Ports{Config: wiring.DirConfig(config)})
	if err != nil || len(fromSSM) != len(fromDir) || len(fromDir) == 0 {
		t.Errorf("%d SLOs from SSM, %d from the directory (%v); want the same, more than none", len(fromSSM), len(fromDir), err)
	}
}

// checkSLOFunctions: both SLO functions find the definitions
// (COGNIFORGE_CONFIG_SSM_PATH) and may read them and nothing else of the
// config path; their URLs are IAM-signed; the bus rule on request.completed
// feeds the aggregator's queue, whose visibility timeout covers six
// invocations and whose dead letters come after five receives.
func checkSLOFunctions(ctx context.Context, t *testing.T, c *clients, out *outputs) {
	path := out.ConfigSSMPath.Value
	timeouts := map[string]int32{}
	for _, name := range []string{slofn.Aggregator, slofn.Evaluator} {
		fn := prefix + "-" + name
		got, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Errorf("GetFunction(%s): %v", fn, err)
			continue
		}
		cfg := got.Configuration
		timeouts[name] = aws.ToInt32(cfg.Timeout)
		if cfg.Environment == nil || cfg.Environment.Variables[wiring.EnvConfigSSMPath] != path {
			t.Errorf("%s: environment %v, want %s=%s", name, cfg.Environment, wiring.EnvConfigSSMPath, path)
		}
		if aws.ToInt32(cfg.Timeout) != 60 {
			t.Errorf("%s: timeout %d s, want 60", name, aws.ToInt32(cfg.Timeout))
		}
		u, err := c.lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
		if err != nil || u.AuthType != "AWS_IAM" {
			t.Errorf("%s: function URL %+v (%v), want one with AWS_IAM auth", name, u, err)
		}
		checkReadsSLOConfig(ctx, t, c, name, path)
	}

	// Bus -> queue -> aggregator.
	queueURL := out.QueueURLs.Value[slofn.Aggregator]
	if queueURL == "" || out.DLQURLs.Value[slofn.Aggregator] == "" {
		t.Fatalf("%s has queue %q and dead-letter queue %q, want both", slofn.Aggregator, queueURL, out.DLQURLs.Value[slofn.Aggregator])
	}
	qARN := queueARN(ctx, t, c, queueURL)
	rules, err := c.events.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(qARN), EventBusName: aws.String(out.EventBusName.Value)})
	if err != nil || len(rules.RuleNames) != 1 {
		t.Fatalf("rules targeting %s: %+v %v, want one", qARN, rules, err)
	}
	rule, err := c.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(rules.RuleNames[0]), EventBusName: aws.String(out.EventBusName.Value)})
	if err != nil {
		t.Fatalf("DescribeRule(%s): %v", rules.RuleNames[0], err)
	}
	if want := `{"detail-type":["dev.cogniforge.request.completed.v1"]}`; !sameJSON(aws.ToString(rule.EventPattern), want) {
		t.Errorf("rule %s feeding the aggregator's queue matches %s, want %s", aws.ToString(rule.Name), aws.ToString(rule.EventPattern), want)
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("queue %s: %v", queueURL, err)
	}
	visibility, err := strconv.Atoi(a.Attributes["VisibilityTimeout"])
	if err != nil || visibility < 6*int(timeouts[slofn.Aggregator]) {
		t.Errorf("aggregator queue visibility timeout %q s (%v), want at least six times the function's %d s", a.Attributes["VisibilityTimeout"], err, timeouts[slofn.Aggregator])
	}
	var redrive struct {
		MaxReceiveCount json.Number `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(a.Attributes["RedrivePolicy"]), &redrive); err != nil || redrive.MaxReceiveCount.String() != "5" {
		t.Errorf("aggregator queue redrive %q (%v), want dead letters after 5 receives", a.Attributes["RedrivePolicy"], err)
	}
}

// checkReadsSLOConfig: the function's role allows ssm:GetParametersByPath
// on <path>/slos and below, and on no other parameter.
func checkReadsSLOConfig(ctx context.Context, t *testing.T, c *clients, name, path string) {
	t.Helper()
	p, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(prefix + "-" + name + "-fn"), PolicyName: aws.String("least-privilege")})
	if err != nil {
		t.Errorf("%s: GetRolePolicy: %v", name, err)
		return
	}
	doc := aws.ToString(p.PolicyDocument)
	if un, err := url.QueryUnescape(doc); err == nil && !strings.HasPrefix(doc, "{") {
		doc = un // AWS returns the document URL-encoded
	}
	stmts, err := statements(doc)
	if err != nil {
		t.Errorf("%s: policy %s: %v", name, doc, err)
		return
	}
	var resources []string
	for _, s := range stmts {
		// Every function's chaos injector reads the one chaos parameter
		// (infra/chaos.tf); checked here to be exactly that.
		if s.Sid == "ReadChaosFaults" {
			if len(s.Action) != 1 || s.Action[0] != "ssm:GetParameter" || len(s.Resource) != 1 || !strings.HasSuffix(s.Resource[0], ":parameter/"+prefix+"/chaos/faults") {
				t.Errorf("%s: ReadChaosFaults grants %v on %v, want ssm:GetParameter on the chaos parameter only", name, s.Action, s.Resource)
			}
			continue
		}
		// Every function reads its own versioned parameters
		// (/cogniforge/<env>/<function>/, pkg/config) and no one else's.
		if s.Sid == "ReadOwnParameters" {
			own := ":parameter/cogniforge/dev/" + name
			if len(s.Action) != 1 || s.Action[0] != "ssm:GetParametersByPath" || len(s.Resource) != 2 ||
				!strings.HasSuffix(s.Resource[0], own) || !strings.HasSuffix(s.Resource[1], own+"/*") {
				t.Errorf("%s: ReadOwnParameters grants %v on %v, want ssm:GetParametersByPath on %s and %s/* only", name, s.Action, s.Resource, own, own)
			}
			continue
		}
		for _, act := range s.Action {
			if strings.HasPrefix(act, "ssm:") {
				if act != "ssm:GetParametersByPath" {
					t.Errorf("%s: policy grants %s; the functions call only GetParametersByPath", name, act)
				}
				resources = append(resources, s.Resource...)
			}
		}
	}
	slices.Sort(resources)
	suffixes := []string{":parameter" + path + "/slos", ":parameter" + path + "/slos/*"}
	if len(resources) != len(suffixes) || !strings.HasSuffix(resources[0], suffixes[0]) || !strings.HasSuffix(resources[1], suffixes[1]) ||
		!strings.HasPrefix(resources[0], "arn:aws:ssm:") {
		t.Errorf("%s: ssm:GetParametersByPath on %v, want arn:aws:ssm:<region>:<account>%s and %s only", name, resources, suffixes[0], suffixes[1])
	}
}
