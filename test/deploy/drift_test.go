package deploy_test

import "testing"

// TestMotoDriftIsNarrow: only moto's equivalent echoes are forgiven; a real
// change of the same attributes is still reported.
func TestMotoDriftIsNarrow(t *testing.T) {
	queue := resourceChange{Type: "aws_sqs_queue"}
	esm := resourceChange{Type: "aws_lambda_event_source_mapping"}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:cogniforge-worker"
	tests := []struct {
		name          string
		rc            resourceChange
		attr          string
		before, after any
		want          bool
	}{
		{"respaced redrive", queue, "redrive_policy", `{"deadLetterTargetArn": "arn:q", "maxReceiveCount": 4}`, `{"deadLetterTargetArn":"arn:q","maxReceiveCount":4}`, true},
		{"changed redrive", queue, "redrive_policy", `{"deadLetterTargetArn": "arn:q", "maxReceiveCount": 4}`, `{"deadLetterTargetArn":"arn:q","maxReceiveCount":5}`, false},
		{"other queue attribute", queue, "visibility_timeout_seconds", 60.0, 61.0, false},
		{"alias resolved to version", esm, "function_name", fn + ":3", fn + ":live", true},
		{"another function", esm, "function_name", fn + "-other:3", fn + ":live", false},
		{"unqualified before", esm, "function_name", fn, fn + ":live", false},
		{"other resource", resourceChange{Type: "aws_lambda_alias"}, "function_name", fn + ":3", fn + ":live", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := motoDrift(tt.rc, tt.attr, tt.before, tt.after); got != tt.want {
				t.Fatalf("motoDrift(%s.%s, %v -> %v) = %v, want %v", tt.rc.Type, tt.attr, tt.before, tt.after, got, tt.want)
			}
		})
	}
}
