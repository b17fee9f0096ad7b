package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/cogniforge/cogniforge/test/sfnproxy"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// fixture is the test-only function of testdata/fixture_override.tf.
const fixture = "fixture-worker"

// prefix is infra/envs/local's name_prefix.
const prefix = "cogniforge"

// TestDeployLocal applies infra/envs/local to moto, checks what exists,
// rolls a canary, and destroys everything.
func TestDeployLocal(t *testing.T) {
	began := time.Now()
	root := repoRoot(t)
	names := functionNames(t, root)
	if len(names) == 0 {
		t.Fatal("no functions/<name>/main.go: nothing to deploy")
	}
	work := t.TempDir()
	infra := filepath.Join(work, "infra")
	copyTree(t, filepath.Join(root, "infra"), infra)
	if err := copyFile(filepath.Join("testdata", "fixture_override.tf"), filepath.Join(infra, "fixture_override.tf")); err != nil {
		t.Fatal(err)
	}
	// A copy of config/, so the SLO definitions can include a file past
	// SSM's Standard tier.
	config := configCopy(t, root, filepath.Join(work, "config"))
	tf := newTerraform(t, filepath.Join(infra, "envs", "local"))

	// The build overlaps init and validate, which need no zip. It is the
	// build test/build and test/coldstart share, for this machine's
	// architecture rather than the release arm64: moto never runs the
	// code, and one compile of the functions per `go test ./test/...`
	// keeps a cold `make test` within its budget.
	build := filepath.Join(work, "build")
	built := make(chan error, 1)
	go func() {
		start := time.Now()
		err := zipFunctions(build, names)
		t.Logf("zipped %d functions (built or reused): %v", len(names), time.Since(start).Round(100*time.Millisecond))
		built <- err
	}()
	tf.run("init", "-input=false")
	tf.run("validate")
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	// moto never runs the code, so the fixture's package need not be a binary.
	writeZip(t, filepath.Join(build, fixture+".zip"), []byte("#!/bin/sh\necho fixture v1\n"))
	moto := testenv.StartMoto(t)
	endpoint := sfnproxy.Start(t, moto)

	vars := []string{
		"-var", "endpoint=" + endpoint,
		"-var", "build_dir=" + build,
		"-var", "functions_dir=" + filepath.Join(root, "functions"),
		"-var", "statemachines_dir=" + filepath.Join(root, "statemachines"),
		"-var", "config_dir=" + config,
	}
	tf.run(append([]string{"plan", "-input=false", "-out=create.tfplan"}, vars...)...)
	created := tf.showPlan("create.tfplan")
	if missing := unwired(created, names); len(missing) > 0 {
		t.Fatal(strings.Join(missing, "\n"))
	}
	tf.run("apply", "-input=false", "-parallelism=30", "create.tfplan")

	var out outputs
	if err := json.Unmarshal([]byte(tf.run("output", "-json")), &out); err != nil {
		t.Fatalf("decode outputs: %v", err)
	}
	aws := newClients(testenv.AWSConfig(t, moto))
	ctx := context.Background()
	deployed := append(append([]string{}, names...), fixture)
	for _, name := range deployed {
		t.Run("function/"+name, func(t *testing.T) { checkFunction(ctx, t, aws, created, &out, name) })
	}
	t.Run("state machines", func(t *testing.T) { checkStateMachines(ctx, t, aws, root, &out, names) })
	t.Run("table and bus", func(t *testing.T) { checkTableAndBus(ctx, t, aws, &out) })
	t.Run("slo definitions", func(t *testing.T) { checkSLODefinitions(ctx, t, aws, config, &out) })
	t.Run("slo functions", func(t *testing.T) { checkSLOFunctions(ctx, t, aws, &out) })
	t.Run("example secret", func(t *testing.T) { checkExampleSecret(ctx, t, testenv.AWSConfig(t, moto)) })
	// moto cannot apply a rotation schedule: the plan with one is checked
	// instead, targeted at it and without a refresh (the apply just read
	// everything), to keep it short.
	tf.run(append([]string{"plan", "-input=false", "-refresh=false", "-target=" + rotationAddress, "-out=rotation.tfplan", "-var", exampleRotation}, vars...)...)
	rotation := tf.showPlan("rotation.tfplan")
	t.Run("rotation schedule plan", func(t *testing.T) { checkRotationPlan(t, rotation) })
	t.Run("stream archives", func(t *testing.T) { checkStreamArchives(ctx, t, aws, &out) })

	// Second apply: a new fixture build goes out as a 25% canary. Its plan
	// is also where the policies are checked, since every ARN is known by
	// now, and it must change nothing but the fixture's code and alias.
	stable := aliasVersion(ctx, t, aws, fixture)
	writeZip(t, filepath.Join(build, fixture+".zip"), []byte("#!/bin/sh\necho fixture v2\n"))
	canaryVars := append(append([]string{}, vars...),
		"-var", fmt.Sprintf(`live_versions={%q=%q}`, fixture, stable),
		"-var", fmt.Sprintf(`canary_weights={%q=0.25}`, fixture),
	)
	tf.run(append([]string{"plan", "-input=false", "-parallelism=30", "-out=canary.tfplan"}, canaryVars...)...)
	canary := tf.showPlan("canary.tfplan")
	t.Run("policies", func(t *testing.T) {
		for _, p := range policyProblems(canary) {
			t.Error(p)
		}
	})
	t.Run("failure plumbing", func(t *testing.T) {
		for _, p := range plumbingProblems(canary) {
			t.Error(p)
		}
	})
	t.Run("canary plan changes only the fixture", func(t *testing.T) { checkCanaryPlan(t, canary) })
	tf.run("apply", "-input=false", "-parallelism=30", "canary.tfplan")
	t.Run("canary routing", func(t *testing.T) { checkCanary(ctx, t, aws, stable) })

	// The canary plan refreshed everything a moment ago.
	tf.run(append([]string{"destroy", "-auto-approve", "-input=false", "-parallelism=30", "-refresh=false"}, canaryVars...)...)
	t.Run("nothing left", func(t *testing.T) { checkNothingLeft(ctx, t, aws, out.ConfigSSMPath.Value) })
	t.Run("no secret left", func(t *testing.T) { checkNoSecretLeft(ctx, t, testenv.AWSConfig(t, moto)) })
	t.Run("no stream archives left", func(t *testing.T) { checkNoStreamArchives(ctx, t, aws) })
	t.Logf("whole deploy test: %v", time.Since(began).Round(100*time.Millisecond))
}

// outputs is `terraform output -json` of infra/envs/local.
type outputs struct {
	FunctionAliasARNs struct{ Value map[string]string } `json:"function_alias_arns"`
	FunctionURLs      struct{ Value map[string]string } `json:"function_urls"`
	QueueURLs         struct{ Value map[string]string } `json:"queue_urls"`
	DLQURLs           struct{ Value map[string]string } `json:"dlq_urls"`
	StateMachineARNs  struct{ Value map[string]string } `json:"state_machine_arns"`
	TableName         struct{ Value string }            `json:"table_name"`
	EventBusName      struct{ Value string }            `json:"event_bus_name"`
	ConfigSSMPath     struct{ Value string }            `json:"config_ssm_path"`
	SLOParameters     struct{ Value map[string]string } `json:"slo_parameters"`
}

type clients struct {
	lambda    *lambda.Client
	sqs       *sqs.Client
	scheduler *scheduler.Client
	events    *eventbridge.Client
	sfn       *sfn.Client
	dynamodb  *dynamodb.Client
	logs      *cloudwatchlogs.Client
	iam       *iam.Client
	ssm       *ssm.Client
}

func newClients(cfg aws.Config) *clients {
	return &clients{
		lambda:    lambda.NewFromConfig(cfg),
		sqs:       sqs.NewFromConfig(cfg),
		scheduler: scheduler.NewFromConfig(cfg),
		events:    eventbridge.NewFromConfig(cfg),
		sfn:       sfn.NewFromConfig(cfg),
		dynamodb:  dynamodb.NewFromConfig(cfg),
		logs:      cloudwatchlogs.NewFromConfig(cfg),
		iam:       iam.NewFromConfig(cfg),
		ssm:       ssm.NewFromConfig(cfg),
	}
}

// moduleOf returns the planned resources of one function's module instance.
func moduleOf(p *plan, name string) []resource {
	at := fmt.Sprintf("module.cogniforge.module.function[%q].", name)
	var out []resource
	for _, r := range p.resources() {
		if strings.HasPrefix(r.Address, at) {
			out = append(out, r)
		}
	}
	return out
}

// unwired names every functions/<name> the plan does not deploy.
func unwired(p *plan, names []string) []string {
	var problems []string
	for _, name := range names {
		found := false
		for _, r := range moduleOf(p, name) {
			found = found || r.Type == "aws_lambda_function"
		}
		if !found {
			problems = append(problems, fmt.Sprintf("functions/%s is not wired in infra: register it in pkg/registry and run `cogniforge infra manifest -o infra/functions.json` (the plan has no module.cogniforge.module.function[%q])", name, name))
		}
	}
	return problems
}

// checkFunction compares one deployed function and its triggers with its plan.
func checkFunction(ctx context.Context, t *testing.T, c *clients, p *plan, out *outputs, name string) {
	fnName := prefix + "-" + name
	aliasARN := out.FunctionAliasARNs.Value[name]
	if aliasARN == "" {
		t.Fatalf("no alias ARN output for %s", name)
	}
	got, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fnName)})
	if err != nil {
		t.Fatalf("GetFunction(%s): %v", fnName, err)
	}
	cfg := got.Configuration
	for _, r := range moduleOf(p, name) {
		v := r.Values
		switch r.Type {
		case "aws_lambda_function":
			if string(cfg.Runtime) != str(v, "runtime") || aws.ToString(cfg.Handler) != "bootstrap" {
				t.Errorf("runtime %s handler %s, want %s bootstrap", cfg.Runtime, aws.ToString(cfg.Handler), str(v, "runtime"))
			}
			if len(cfg.Architectures) != 1 || fmt.Sprint(cfg.Architectures[0]) != fmt.Sprint(v["architectures"].([]any)[0]) {
				t.Errorf("architectures %v, want %v", cfg.Architectures, v["architectures"])
			}
			want := map[string]string{}
			for k, val := range block(v, "environment")["variables"].(map[string]any) {
				want[k] = val.(string)
			}
			var have map[string]string
			if cfg.Environment != nil {
				have = cfg.Environment.Variables
			}
			if !reflect.DeepEqual(have, want) {
				t.Errorf("environment %v, want %v", have, want)
			}
			for _, k := range []string{"COGNIFORGE_TABLE", "COGNIFORGE_EVENT_BUS", "OTEL_SERVICE_NAME", "OTEL_PROPAGATORS"} {
				if have[k] == "" {
					t.Errorf("environment lacks %s", k)
				}
			}
			if rc, ok := v["reserved_concurrent_executions"].(float64); ok && rc >= 0 {
				conc, err := c.lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(fnName)})
				if err != nil || aws.ToInt32(conc.ReservedConcurrentExecutions) != int32(rc) {
					t.Errorf("reserved concurrency %v (%v), want %v", conc, err, rc)
				}
			}
			// A prefix lookup: cogniforge-order also finds cogniforge-order-query's group.
			groups, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + fnName)})
			var own []int32
			if err == nil {
				for _, g := range groups.LogGroups {
					if aws.ToString(g.LogGroupName) == "/aws/lambda/"+fnName {
						own = append(own, aws.ToInt32(g.RetentionInDays))
					}
				}
			}
			if err != nil || len(own) != 1 || own[0] <= 0 {
				t.Errorf("log group of %s: retentions %v %v, want one group with a retention", fnName, own, err)
			}
		case "aws_lambda_alias":
			a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fnName), Name: aws.String("live")})
			if err != nil || aws.ToString(a.AliasArn) != aliasARN {
				t.Errorf("alias live: %+v %v, want %s", a, err, aliasARN)
			}
		case "aws_lambda_function_url":
			u, err := c.lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fnName), Qualifier: aws.String("live")})
			if err != nil {
				t.Errorf("function URL: %v", err)
				break
			}
			if string(u.AuthType) != str(v, "authorization_type") || aws.ToString(u.FunctionUrl) != out.FunctionURLs.Value[name] {
				t.Errorf("function URL %s auth %s, want %s auth %s", aws.ToString(u.FunctionUrl), u.AuthType, out.FunctionURLs.Value[name], str(v, "authorization_type"))
			}
		case "aws_lambda_event_source_mapping":
			checkQueueTrigger(ctx, t, c, out, name, aliasARN, v)
		case "aws_scheduler_schedule":
			s, err := c.scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(str(v, "name"))})
			if err != nil {
				t.Errorf("schedule %s: %v", str(v, "name"), err)
				break
			}
			target := block(v, "target")
			if aws.ToString(s.ScheduleExpression) != str(v, "schedule_expression") || s.Target == nil ||
				aws.ToString(s.Target.Arn) != aliasARN || aws.ToString(s.Target.Input) != str(target, "input") ||
				aws.ToString(s.ScheduleExpressionTimezone) != str(v, "schedule_expression_timezone") {
				t.Errorf("schedule %s: %s (%s) -> %+v, want %s (%s) -> %s input %q", str(v, "name"), aws.ToString(s.ScheduleExpression),
					aws.ToString(s.ScheduleExpressionTimezone), s.Target, str(v, "schedule_expression"), str(v, "schedule_expression_timezone"), aliasARN, str(target, "input"))
			}
		case "aws_cloudwatch_event_rule":
			rule, err := c.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(str(v, "name")), EventBusName: aws.String(str(v, "event_bus_name"))})
			if err != nil {
				t.Errorf("rule %s: %v", str(v, "name"), err)
				break
			}
			if !sameJSON(aws.ToString(rule.EventPattern), str(v, "event_pattern")) {
				t.Errorf("rule %s pattern %s, want %s", str(v, "name"), aws.ToString(rule.EventPattern), str(v, "event_pattern"))
			}
			// A queue trigger's rule routes bus events to the queue; the
			// others invoke the live alias.
			wantTarget, what := aliasARN, "the live alias"
			if r.Name == "queue" {
				wantTarget, what = queueARN(ctx, t, c, out.QueueURLs.Value[name]), "the function's queue"
			}
			targets, err := c.events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rule.Name, EventBusName: rule.EventBusName})
			if err != nil || len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != wantTarget {
				t.Errorf("rule %s targets %+v (%v), want %s", str(v, "name"), targets, err, what)
			}
		}
	}
}

// queueARN is the ARN of the queue at url.
func queueARN(ctx context.Context, t *testing.T, c *clients, url string) string {
	t.Helper()
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue %s: %v", url, err)
	}
	return a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// checkQueueTrigger checks the queue -> live alias mapping and the queue's
// dead-letter queue.
func checkQueueTrigger(ctx context.Context, t *testing.T, c *clients, out *outputs, name, aliasARN string, v map[string]any) {
	queueURL, dlqURL := out.QueueURLs.Value[name], out.DLQURLs.Value[name]
	attrs := func(url string) map[string]string {
		a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatalf("queue %s: %v", url, err)
		}
		return a.Attributes
	}
	queue, dlq := attrs(queueURL), attrs(dlqURL)
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(queue["RedrivePolicy"]), &redrive); err != nil || redrive.DeadLetterTargetArn != dlq["QueueArn"] {
		t.Errorf("queue %s redrive %q (%v), want to %s", queueURL, queue["RedrivePolicy"], err, dlq["QueueArn"])
	}
	maps, err := c.lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{EventSourceArn: aws.String(queue["QueueArn"])})
	if err != nil || len(maps.EventSourceMappings) != 1 {
		t.Fatalf("event source mappings of %s: %+v %v, want one", queue["QueueArn"], maps, err)
	}
	m := maps.EventSourceMappings[0]
	// moto reports the version the alias points at; AWS reports the alias.
	viaAlias := aws.ToString(m.FunctionArn) == aliasARN ||
		aws.ToString(m.FunctionArn) == strings.TrimSuffix(aliasARN, "live")+aliasVersion(ctx, t, c, name)
	if !viaAlias || float64(aws.ToInt32(m.BatchSize)) != v["batch_size"].(float64) ||
		float64(aws.ToInt32(m.MaximumBatchingWindowInSeconds)) != v["maximum_batching_window_in_seconds"].(float64) ||
		len(m.FunctionResponseTypes) != 1 || m.FunctionResponseTypes[0] != "ReportBatchItemFailures" {
		t.Errorf("mapping %s -> %s batch %d window %d types %v; want -> %s as planned (%v) with ReportBatchItemFailures",
			aws.ToString(m.EventSourceArn), aws.ToString(m.FunctionArn), aws.ToInt32(m.BatchSize), aws.ToInt32(m.MaximumBatchingWindowInSeconds),
			m.FunctionResponseTypes, aliasARN, v)
	}
}

var placeholder = regexp.MustCompile(`\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}`)

// checkStateMachines compares every deployed definition with its file, the
// placeholders substituted here independently of Terraform.
func checkStateMachines(ctx context.Context, t *testing.T, c *clients, root string, out *outputs, names []string) {
	bus, err := c.events.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(out.EventBusName.Value)})
	if err != nil {
		t.Fatalf("DescribeEventBus: %v", err)
	}
	values := map[string]string{
		"table_name":     out.TableName.Value,
		"event_bus_name": out.EventBusName.Value,
		"event_bus_arn":  aws.ToString(bus.Arn),
	}
	for _, name := range names {
		values["function_arn_"+strings.ReplaceAll(name, "-", "_")] = out.FunctionAliasARNs.Value[name]
	}
	files, _ := filepath.Glob(filepath.Join(root, "statemachines", "*.asl.json"))
	if len(files) == 0 {
		t.Fatal("no statemachines/*.asl.json")
	}
	if len(out.StateMachineARNs.Value) != len(files) {
		t.Errorf("%d state machines deployed for %d definitions: %v", len(out.StateMachineARNs.Value), len(files), out.StateMachineARNs.Value)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		substituted := 0
		want := placeholder.ReplaceAllStringFunc(string(raw), func(m string) string {
			key := placeholder.FindStringSubmatch(m)[1]
			v, ok := values[key]
			if !ok {
				t.Errorf("%s: no value for ${%s}", filepath.Base(f), key)
			}
			substituted++
			return v
		})
		stem := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		arn := out.StateMachineARNs.Value[stem]
		got, err := c.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
		if err != nil {
			t.Errorf("%s: DescribeStateMachine(%q): %v", stem, arn, err)
			continue
		}
		if aws.ToString(got.Definition) != want {
			t.Errorf("%s: deployed definition\n%s\nwant (file, %d placeholders substituted)\n%s", stem, aws.ToString(got.Definition), substituted, want)
		}
		t.Logf("%s: definition matches its file with %d placeholders substituted", stem, substituted)
	}
}

func checkTableAndBus(ctx context.Context, t *testing.T, c *clients, out *outputs) {
	table := aws.String(out.TableName.Value)
	d, err := c.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: table})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	var keys []string
	for _, k := range d.Table.KeySchema {
		keys = append(keys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if strings.Join(keys, ",") != "pk:HASH,sk:RANGE" {
		t.Errorf("key schema %v, want pk:HASH,sk:RANGE", keys)
	}
	ttl, err := c.dynamodb.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: table})
	if err != nil || ttl.TimeToLiveDescription == nil || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "ttl" ||
		ttl.TimeToLiveDescription.TimeToLiveStatus != "ENABLED" {
		t.Errorf("TTL %+v (%v), want ENABLED on ttl", ttl, err)
	}
	pitr, err := c.dynamodb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: table})
	if err != nil || pitr.ContinuousBackupsDescription == nil || pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription == nil ||
		pitr.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != "ENABLED" {
		t.Errorf("point-in-time recovery %+v (%v), want ENABLED", pitr, err)
	}
	if _, err := c.events.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(out.EventBusName.Value)}); err != nil {
		t.Errorf("event bus %s: %v", out.EventBusName.Value, err)
	}
}

func aliasVersion(ctx context.Context, t *testing.T, c *clients, name string) string {
	t.Helper()
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(prefix + "-" + name), Name: aws.String("live")})
	if err != nil {
		t.Fatalf("GetAlias(%s live): %v", name, err)
	}
	return aws.ToString(a.FunctionVersion)
}

// motoDrift says whether a planned change of one attribute is moto echoing
// an equivalent value in another form rather than a real difference (AWS
// returns what was sent, so these never show there):
//   - SQS attributes holding JSON come back re-serialised with spaces;
//   - an event source mapping on an alias reports the alias's version ARN.
func motoDrift(rc resourceChange, attr string, before, after any) bool {
	switch {
	case rc.Type == "aws_sqs_queue" && (attr == "redrive_policy" || attr == "redrive_allow_policy" || attr == "policy"):
		b, _ := before.(string)
		a, _ := after.(string)
		return sameJSON(b, a)
	case rc.Type == "aws_lambda_event_source_mapping" && attr == "function_name":
		b, _ := before.(string)
		a, _ := after.(string)
		return strings.HasSuffix(a, ":live") && versionOf(b) != "" && strings.TrimSuffix(a, "live") == strings.TrimSuffix(b, versionOf(b))
	}
	return false
}

// versionOf returns the numeric qualifier of a function ARN, or "".
func versionOf(arn string) string {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 || i == len(arn)-1 || strings.Trim(arn[i+1:], "0123456789") != "" {
		return ""
	}
	return arn[i+1:]
}

// checkCanaryPlan: only the fixture's code and alias change; everything
// else is as applied (no drift, no perpetual diff) but for moto's echoes.
func checkCanaryPlan(t *testing.T, p *plan) {
	at := fmt.Sprintf("module.cogniforge.module.function[%q].", fixture)
	want := map[string]bool{at + "aws_lambda_function.this": true, at + "aws_lambda_alias.live[0]": true}
	changed := map[string]bool{}
	for _, rc := range p.ResourceChanges {
		if len(rc.Change.Actions) == 1 && (rc.Change.Actions[0] == "no-op" || rc.Change.Actions[0] == "read") {
			continue
		}
		changed[rc.Address] = true
		if want[rc.Address] && rc.Change.Actions[0] == "update" {
			continue
		}
		var diff []string
		for k, after := range rc.Change.After {
			if before := rc.Change.Before[k]; !reflect.DeepEqual(before, after) && !motoDrift(rc, k, before, after) {
				diff = append(diff, fmt.Sprintf("%s: %v -> %v", k, before, after))
			}
		}
		if len(diff) == 0 && rc.Change.Actions[0] == "update" {
			t.Logf("%s: updated only because moto echoes an equivalent value", rc.Address)
			continue
		}
		sort.Strings(diff)
		t.Errorf("%s: %v; only the fixture's function and alias should change; changes:\n%s", rc.Address, rc.Change.Actions, strings.Join(diff, "\n"))
	}
	for a := range want {
		if !changed[a] {
			t.Errorf("%s is not updated by the canary plan", a)
		}
	}
}

// checkCanary: the alias stays on the stable version and routes 25% to the
// new one.
func checkCanary(ctx context.Context, t *testing.T, c *clients, stable string) {
	a, err := c.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(prefix + "-" + fixture), Name: aws.String("live")})
	if err != nil {
		t.Fatalf("GetAlias: %v", err)
	}
	if aws.ToString(a.FunctionVersion) != stable || a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) != 1 {
		t.Fatalf("alias on %s routing %+v, want %s plus one canary version", aws.ToString(a.FunctionVersion), a.RoutingConfig, stable)
	}
	for v, w := range a.RoutingConfig.AdditionalVersionWeights {
		if v == stable || w != 0.25 {
			t.Errorf("canary version %s weight %v, want a new version at 0.25", v, w)
		}
	}
}

// checkNothingLeft lists every kind of resource infra creates; configPath
// is where its SSM parameters were.
func checkNothingLeft(ctx context.Context, t *testing.T, c *clients, configPath string) {
	var left []string
	fns, err := c.lambda.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	must(t, err)
	for _, f := range fns.Functions {
		left = append(left, "function "+aws.ToString(f.FunctionName))
	}
	sms, err := c.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	must(t, err)
	for _, s := range sms.StateMachines {
		left = append(left, "state machine "+aws.ToString(s.Name))
	}
	qs, err := c.sqs.ListQueues(ctx, &sqs.ListQueuesInput{})
	must(t, err)
	for _, q := range qs.QueueUrls {
		left = append(left, "queue "+q)
	}
	tables, err := c.dynamodb.ListTables(ctx, &dynamodb.ListTablesInput{})
	must(t, err)
	for _, tb := range tables.TableNames {
		left = append(left, "table "+tb)
	}
	scheds, err := c.scheduler.ListSchedules(ctx, &scheduler.ListSchedulesInput{})
	must(t, err)
	for _, s := range scheds.Schedules {
		left = append(left, "schedule "+aws.ToString(s.Name))
	}
	buses, err := c.events.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{})
	must(t, err)
	for _, b := range buses.EventBuses {
		if aws.ToString(b.Name) != "default" {
			left = append(left, "event bus "+aws.ToString(b.Name))
		}
	}
	rules, err := c.events.ListRules(ctx, &eventbridge.ListRulesInput{})
	must(t, err)
	for _, r := range rules.Rules {
		left = append(left, "rule "+aws.ToString(r.Name))
	}
	roles, err := c.iam.ListRoles(ctx, &iam.ListRolesInput{})
	must(t, err)
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), prefix+"-") {
			left = append(left, "role "+aws.ToString(r.RoleName))
		}
	}
	groups, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	must(t, err)
	for _, g := range groups.LogGroups {
		left = append(left, "log group "+aws.ToString(g.LogGroupName))
	}
	params, err := c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(configPath), Recursive: aws.Bool(true)})
	must(t, err)
	for _, p := range params.Parameters {
		left = append(left, "parameter "+aws.ToString(p.Name))
	}
	sort.Strings(left)
	if len(left) > 0 {
		t.Errorf("destroy left %d resources:\n%s", len(left), strings.Join(left, "\n"))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
