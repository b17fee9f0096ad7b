#!/bin/bash
# Runs inside the LocalStack container once every service is ready, before
# the health check reports healthy. Terraform (infra/envs/local) creates the
# application resources; this only records facts the functions read at start.
set -euo pipefail

region="${AWS_DEFAULT_REGION:-us-east-1}"

# Functions in LocalStack reach the emulator (not AWS) through this endpoint:
# pkg/platform reads AWS_ENDPOINT_URL, and tools can look it up here.
awslocal ssm put-parameter --region "$region" --overwrite --type String \
  --name /cogniforge/local/endpoint --value "http://localstack:4566" >/dev/null

awslocal ssm put-parameter --region "$region" --overwrite --type String \
  --name /cogniforge/local/ready-at --value "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >/dev/null

echo "cogniforge: LocalStack ready in $region (services: ${SERVICES:-all})"
