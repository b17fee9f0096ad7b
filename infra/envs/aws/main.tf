# A real AWS account. Credentials come from the usual chain (AWS_PROFILE,
# SSO, instance role); see README.md for remote state.
#
#   make build
#   terraform -chdir=infra/envs/aws init
#   terraform -chdir=infra/envs/aws apply -var stage=prod
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
  # Remote state (recommended, see README.md):
  # backend "s3" {
  #   bucket       = "<account>-cogniforge-tfstate"
  #   key          = "cogniforge/<stage>.tfstate"
  #   region       = "eu-west-1"
  #   use_lockfile = true
  #   encrypt      = true
  # }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-west-1"
}

variable "stage" {
  description = "Stage name: resources are named cogniforge-<stage>-*."
  type        = string
  default     = "dev"
}

variable "architecture" {
  description = "arm64 or x86_64, as `make build ARCH=...` built the zips."
  type        = string
  default     = "arm64"
}

variable "otel_exporter_otlp_endpoint" {
  description = "OTLP endpoint the functions export to (e.g. an ADOT collector layer at http://localhost:4318); empty for none."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 30
}

variable "live_versions" {
  description = "Per function, the version its live alias stays on during a canary."
  type        = map(string)
  default     = {}
}

variable "canary_weights" {
  description = "Per function, the share of traffic the new version gets while live_versions pins the alias."
  type        = map(number)
  default     = {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      project    = "cogniforge"
      stage      = var.stage
      managed-by = "terraform"
    }
  }
}

module "cogniforge" {
  source = "../.."

  name_prefix                 = "cogniforge-${var.stage}"
  stage                       = var.stage
  architecture                = var.architecture
  otel_exporter_otlp_endpoint = var.otel_exporter_otlp_endpoint
  log_retention_days          = var.log_retention_days
  live_versions               = var.live_versions
  canary_weights              = var.canary_weights
}

output "function_names" {
  value = module.cogniforge.function_names
}

output "function_alias_arns" {
  value = module.cogniforge.function_alias_arns
}

output "function_urls" {
  value = module.cogniforge.function_urls
}

output "queue_urls" {
  value = module.cogniforge.queue_urls
}

output "dlq_urls" {
  value = module.cogniforge.dlq_urls
}

output "state_machine_arns" {
  value = module.cogniforge.state_machine_arns
}

output "table_name" {
  value = module.cogniforge.table_name
}

output "event_bus_name" {
  value = module.cogniforge.event_bus_name
}

output "config_ssm_path" {
  value = module.cogniforge.config_ssm_path
}

output "slo_parameters" {
  value = module.cogniforge.slo_parameters
}

output "stream_archives" {
  value = module.cogniforge.stream_archives
}

output "streams_replay_policy_arn" {
  value = module.cogniforge.streams_replay_policy_arn
}
