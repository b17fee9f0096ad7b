// Package deploy holds the deployment integration test: it builds every
// function, applies infra/envs/local with Terraform against moto_server
// (behind test/sfnproxy, which supplies the Step Functions APIs moto lacks),
// checks through the AWS SDK that what was declared is what exists, checks
// the IAM policies and failure plumbing in the plan, and destroys it all.
//
// It needs terraform (with the AWS provider in /opt/tf-plugins) and
// moto_server on PATH; without them it fails saying what to install. The
// repository is left untouched: infra/ is copied into a temporary directory.
package deploy
