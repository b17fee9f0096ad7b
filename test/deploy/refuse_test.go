package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanRefuses: a function whose zip was not built, a state machine
// naming a function that does not exist, and declarative files SSM cannot
// hold (empty, over 8192 bytes) all fail plan, the error naming the
// culprit. No AWS endpoint is contacted: plan fails before any call.
func TestPlanRefuses(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	tests := []struct {
		name   string
		module string
		files  map[string]string // extra files, by path under the module
		want   []string
	}{
		{
			name: "unbuilt zip",
			module: `
module "unbuilt" {
  source   = "./modules/function"
  name     = "unbuilt"
  zip_path = "${path.module}/build/unbuilt.zip"
}`,
			want: []string{"build/unbuilt.zip does not exist: run `make build`"},
		},
		{
			name: "unknown function",
			module: `
module "dangling" {
  source          = "./modules/state-machine"
  name            = "dangling"
  definition_file = "${path.module}/bad.asl.json"
  substitutions   = { function_arn_event_gateway = "arn:aws:lambda:us-east-1:123456789012:function:cogniforge-event-gateway:live" }
}`,
			want: []string{"State machine dangling", "undefined placeholders function_arn_no_such_function"},
		},
		{
			name: "unstorable config files",
			module: `
module "config" {
  source = "./modules/config"
  dir    = "${path.module}/config/slos"
  kind   = "slos"
  path   = "/test/config"
}`,
			files: map[string]string{
				"config/slos/fits.yaml":  strings.Repeat("é", 4096), // 8192 bytes: Advanced, accepted
				"config/slos/huge.yaml":  strings.Repeat("#", 8193),
				"config/slos/empty.yaml": "",
				"config/slos/notes.txt":  "", // not a definition: ignored
			},
			want: []string{"config/slos/huge.yaml has 8193 bytes", "config/slos/empty.yaml has 0 bytes"},
			// fits.yaml must not be named: checked below.
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, filepath.Join(root, "infra", "modules"), filepath.Join(dir, "modules"))
			write(t, filepath.Join(dir, "bad.asl.json"), `{"StartAt":"Call","States":{"Call":{"Type":"Task",`+
				`"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"${function_arn_no_such_function}"},"End":true}}}`)
			for name, content := range tt.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, name), content)
			}
			write(t, filepath.Join(dir, "main.tf"), offlineProvider+tt.module)
			tf := newTerraform(t, dir)
			tf.run("init", "-input=false", "-backend=false")
			out, err := tf.try("plan", "-input=false")
			if err == nil {
				t.Fatalf("plan succeeded; want it refused:\n%s", tail(out, 2000))
			}
			msg := strings.Join(strings.Fields(err.Error()), " ") // undo Terraform's line wrapping
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("plan error lacks %q:\n%s", want, err)
				}
			}
			// Only the errors, not the plan printed before them.
			errs, _, _ := strings.Cut(msg, "stdout (tail):")
			for _, fine := range []string{"fits.yaml", "notes.txt"} {
				if strings.Contains(errs, fine) {
					t.Errorf("plan error names %s, which is fine:\n%s", fine, err)
				}
			}
		})
	}
}

// offlineProvider points every service at a closed port: a plan that
// reached AWS would fail differently.
const offlineProvider = `
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    lambda = "http://127.0.0.1:9"
    iam    = "http://127.0.0.1:9"
    sfn    = "http://127.0.0.1:9"
    logs   = "http://127.0.0.1:9"
    ssm    = "http://127.0.0.1:9"
    sts    = "http://127.0.0.1:9"
  }
}
`

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnwiredNamesTheFunction: a functions/<name> with no module instance in
// the plan is reported by name.
func TestUnwiredNamesTheFunction(t *testing.T) {
	var p plan
	raw := `{"planned_values":{"root_module":{"child_modules":[{"address":"module.cogniforge","child_modules":[
	  {"address":"module.cogniforge.module.function[\"order\"]","resources":[
	    {"address":"module.cogniforge.module.function[\"order\"].aws_lambda_function.this","type":"aws_lambda_function"}]}]}]}}}`
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatal(err)
	}
	got := unwired(&p, []string{"order", "refunds"})
	if len(got) != 1 || !strings.Contains(got[0], "functions/refunds is not wired") {
		t.Fatalf("unwired = %q, want only functions/refunds named", got)
	}
}
