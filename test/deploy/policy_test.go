package deploy_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// starResourceAllowed lists the actions a statement may grant on Resource
// "*", each with the reason: AWS offers no narrower resource for them.
var starResourceAllowed = map[string]string{
	"xray:PutTraceSegments":            "X-Ray writes have no resource-level permissions",
	"xray:PutTelemetryRecords":         "X-Ray writes have no resource-level permissions",
	"xray:GetSamplingRules":            "X-Ray sampling reads have no resource-level permissions",
	"xray:GetSamplingTargets":          "X-Ray sampling reads have no resource-level permissions",
	"logs:CreateLogDelivery":           "Step Functions vended log delivery supports only *",
	"logs:GetLogDelivery":              "Step Functions vended log delivery supports only *",
	"logs:UpdateLogDelivery":           "Step Functions vended log delivery supports only *",
	"logs:DeleteLogDelivery":           "Step Functions vended log delivery supports only *",
	"logs:ListLogDeliveries":           "Step Functions vended log delivery supports only *",
	"logs:PutResourcePolicy":           "Step Functions vended log delivery supports only *",
	"logs:DescribeResourcePolicies":    "Step Functions vended log delivery supports only *",
	"logs:DescribeLogGroups":           "Step Functions vended log delivery supports only *",
	"secretsmanager:GetRandomPassword": "GetRandomPassword acts on no resource, so IAM supports only *",
}

// policyProblems checks every IAM policy in the plan: no wildcard action,
// Resource "*" only for allow-listed actions, no "*" principal in a trust
// policy, and no Allow with NotAction/NotResource.
func policyProblems(p *plan) []string {
	var problems []string
	for _, r := range p.resources() {
		var doc, field string
		switch r.Type {
		case "aws_iam_role_policy", "aws_iam_policy":
			doc, field = str(r.Values, "policy"), "policy"
		case "aws_iam_role":
			doc, field = str(r.Values, "assume_role_policy"), "assume_role_policy"
		default:
			continue
		}
		if doc == "" {
			problems = append(problems, fmt.Sprintf("%s: %s is empty or unknown in the plan", r.Address, field))
			continue
		}
		stmts, err := statements(doc)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", r.Address, field, err))
			continue
		}
		for i, s := range stmts {
			where := fmt.Sprintf("%s %s statement %d (%s)", r.Address, field, i, s.Sid)
			if s.Effect != "Allow" {
				continue
			}
			if len(s.NotAction) > 0 || len(s.NotResource) > 0 {
				problems = append(problems, where+": Allow with NotAction/NotResource grants almost everything")
			}
			for _, a := range s.Action {
				if strings.Contains(a, "*") {
					problems = append(problems, fmt.Sprintf("%s: wildcard action %q", where, a))
				}
			}
			if field == "assume_role_policy" {
				for _, pr := range s.principals() {
					if pr == "*" {
						problems = append(problems, where+": anyone may assume the role")
					}
				}
				continue
			}
			for _, res := range s.Resource {
				if res != "*" {
					continue
				}
				for _, a := range s.Action {
					if _, ok := starResourceAllowed[a]; !ok {
						problems = append(problems, fmt.Sprintf("%s: action %q on Resource \"*\" is not allow-listed", where, a))
					}
				}
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// statement is one IAM statement; Action, Resource and the like may be a
// string or a list in JSON.
type statement struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      stringList      `json:"Action"`
	NotAction   stringList      `json:"NotAction"`
	Resource    stringList      `json:"Resource"`
	NotResource stringList      `json:"NotResource"`
	Principal   json.RawMessage `json:"Principal"`
}

func (s statement) principals() []string {
	var star string
	if json.Unmarshal(s.Principal, &star) == nil {
		return []string{star}
	}
	var byKind map[string]stringList
	_ = json.Unmarshal(s.Principal, &byKind)
	var out []string
	for _, l := range byKind {
		out = append(out, l...)
	}
	return out
}

type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

func statements(doc string) ([]statement, error) {
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, err
	}
	var list []statement
	if err := json.Unmarshal(d.Statement, &list); err == nil {
		return list, nil
	}
	var one statement
	if err := json.Unmarshal(d.Statement, &one); err != nil {
		return nil, err
	}
	return []statement{one}, nil
}

// plumbingProblems checks failure plumbing: every Lambda function and state
// machine logs to a log group with a retention, and every SQS trigger's queue
// dead-letters into a queue of the plan after a bounded number of receives,
// with partial batch failures reported.
func plumbingProblems(p *plan) []string {
	var problems []string
	retention := map[string]float64{} // log group name -> days
	for _, lg := range p.ofType("aws_cloudwatch_log_group") {
		days, _ := lg.Values["retention_in_days"].(float64)
		retention[str(lg.Values, "name")] = days
	}
	for _, fn := range p.ofType("aws_lambda_function") {
		name := "/aws/lambda/" + str(fn.Values, "function_name")
		if days, ok := retention[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s: no log group %s in the plan", fn.Address, name))
		} else if days <= 0 {
			problems = append(problems, fmt.Sprintf("%s: log group %s keeps logs forever", fn.Address, name))
		}
	}
	for _, sm := range p.ofType("aws_sfn_state_machine") {
		lc := block(sm.Values, "logging_configuration")
		dest := strings.TrimSuffix(str(lc, "log_destination"), ":*")
		found := false
		for _, lg := range p.ofType("aws_cloudwatch_log_group") {
			if str(lg.Values, "arn") == dest && dest != "" {
				found = true
				if days, _ := lg.Values["retention_in_days"].(float64); days <= 0 {
					problems = append(problems, fmt.Sprintf("%s: log group %s keeps logs forever", sm.Address, str(lg.Values, "name")))
				}
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s: does not log to a log group of the plan", sm.Address))
		}
	}
	queues := map[string]resource{} // arn -> queue
	for _, q := range p.ofType("aws_sqs_queue") {
		queues[str(q.Values, "arn")] = q
	}
	for _, esm := range p.ofType("aws_lambda_event_source_mapping") {
		q, ok := queues[str(esm.Values, "event_source_arn")]
		if !ok {
			continue // not an SQS trigger of this plan
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(str(q.Values, "redrive_policy")), &redrive); err != nil {
			problems = append(problems, fmt.Sprintf("%s: queue %s has no redrive policy (%v)", esm.Address, q.Address, err))
			continue
		}
		if _, ok := queues[redrive.DeadLetterTargetArn]; !ok || redrive.MaxReceiveCount < 1 {
			problems = append(problems, fmt.Sprintf("%s: queue %s dead-letters to %q after %d receives; want a queue of the plan after >= 1",
				esm.Address, q.Address, redrive.DeadLetterTargetArn, redrive.MaxReceiveCount))
		}
		types, _ := esm.Values["function_response_types"].([]any)
		if len(types) != 1 || types[0] != "ReportBatchItemFailures" {
			problems = append(problems, fmt.Sprintf("%s: function_response_types %v, want [ReportBatchItemFailures]", esm.Address, types))
		}
	}
	sort.Strings(problems)
	return problems
}

// TestPolicyChecksCatch feeds the checks a plan with every kind of fault, so
// a pass of the deploy test means something.
func TestPolicyChecksCatch(t *testing.T) {
	const bad = `{"planned_values":{"root_module":{"resources":[
	 {"address":"aws_iam_role_policy.admin","type":"aws_iam_role_policy","values":{"policy":"{\"Statement\":[{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}},
	 {"address":"aws_iam_role_policy.star","type":"aws_iam_role_policy","values":{"policy":"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":[\"dynamodb:GetItem\",\"xray:PutTraceSegments\"],\"Resource\":\"*\"}}"}},
	 {"address":"aws_iam_role_policy.ok","type":"aws_iam_role_policy","values":{"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"xray:PutTraceSegments\",\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"arn:aws:sqs:us-east-1:1:q\"}]}"}},
	 {"address":"aws_iam_role_policy.not","type":"aws_iam_role_policy","values":{"policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"arn:aws:s3:::b\"}]}"}},
	 {"address":"aws_iam_role.open","type":"aws_iam_role","values":{"assume_role_policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"}},
	 {"address":"aws_iam_role.fine","type":"aws_iam_role","values":{"assume_role_policy":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}},
	 {"address":"aws_lambda_function.nolog","type":"aws_lambda_function","values":{"function_name":"nolog"}},
	 {"address":"aws_lambda_function.forever","type":"aws_lambda_function","values":{"function_name":"forever"}},
	 {"address":"aws_cloudwatch_log_group.forever","type":"aws_cloudwatch_log_group","values":{"name":"/aws/lambda/forever","retention_in_days":0}},
	 {"address":"aws_sqs_queue.nodlq","type":"aws_sqs_queue","values":{"arn":"arn:q1","redrive_policy":""}},
	 {"address":"aws_lambda_event_source_mapping.nodlq","type":"aws_lambda_event_source_mapping","values":{"event_source_arn":"arn:q1","function_response_types":[]}},
	 {"address":"aws_sfn_state_machine.quiet","type":"aws_sfn_state_machine","values":{"logging_configuration":[]}}
	]}}}`
	var p plan
	if err := json.Unmarshal([]byte(bad), &p); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(append(policyProblems(&p), plumbingProblems(&p)...), "\n")
	for _, want := range []string{
		`aws_iam_role_policy.admin policy statement 0 (Admin): wildcard action "*"`,
		`aws_iam_role_policy.admin policy statement 0 (Admin): action "*" on Resource "*" is not allow-listed`,
		`aws_iam_role_policy.star policy statement 0 (): action "dynamodb:GetItem" on Resource "*" is not allow-listed`,
		`aws_iam_role_policy.not policy statement 0 (): Allow with NotAction/NotResource`,
		`aws_iam_role.open assume_role_policy statement 0 (): anyone may assume the role`,
		`aws_lambda_function.nolog: no log group /aws/lambda/nolog`,
		`aws_lambda_function.forever: log group /aws/lambda/forever keeps logs forever`,
		`aws_lambda_event_source_mapping.nodlq: queue aws_sqs_queue.nodlq has no redrive policy`,
		`aws_sfn_state_machine.quiet: does not log to a log group of the plan`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q; got:\n%s", want, got)
		}
	}
	for _, clean := range []string{"aws_iam_role_policy.ok", "aws_iam_role.fine", "xray:PutTraceSegments\" on"} {
		if strings.Contains(got, clean) {
			t.Errorf("problems name %q, which is fine; got:\n%s", clean, got)
		}
	}
}
