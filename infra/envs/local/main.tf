# LocalStack (or moto behind test/sfnproxy): every service at one endpoint,
# test credentials, nothing asked of a real account.
#
#   terraform -chdir=infra/envs/local init
#   terraform -chdir=infra/envs/local apply -var endpoint=http://localhost:4566
terraform {
  required_version = ">= 1.9"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 6.0"
    }
  }
}

variable "endpoint" {
  description = "Edge endpoint serving every AWS API (LocalStack's default, or the moto proxy in tests)."
  type        = string
  default     = "http://localhost:4566"
}

variable "region" {
  description = "Region the emulator answers for."
  type        = string
  default     = "us-east-1"
}

variable "build_dir" {
  description = "Directory of the function zips; default build/ at the repository root."
  type        = string
  default     = null
}

variable "functions_dir" {
  description = "The functions/ directory; default the repository's."
  type        = string
  default     = null
}

variable "statemachines_dir" {
  description = "Directory of the *.asl.json definitions; default the repository's."
  type        = string
  default     = null
}

variable "config_dir" {
  description = "Directory of the declarative files (slos/*.yaml); default the repository's config/."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 or x86_64, as the zips were built."
  type        = string
  default     = "arm64"
}

variable "live_versions" {
  description = "Per function, the version its live alias stays on during a canary."
  type        = map(string)
  default     = {}
}

variable "example_secret_rotation" {
  description = "Rotation rules of the example secret; null by default because moto cannot apply a rotation schedule (test/deploy plans it set)."
  type = object({
    schedule_expression      = optional(string)
    automatically_after_days = optional(number)
    duration                 = optional(string)
  })
  default = null
}

variable "canary_weights" {
  description = "Per function, the share of traffic the new version gets while live_versions pins the alias."
  type        = map(number)
  default     = {}
}

provider "aws" {
  region                      = var.region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    cloudwatch     = var.endpoint
    dynamodb       = var.endpoint
    events         = var.endpoint
    iam            = var.endpoint
    lambda         = var.endpoint
    logs           = var.endpoint
    s3             = var.endpoint
    scheduler      = var.endpoint
    secretsmanager = var.endpoint
    sfn            = var.endpoint
    sns            = var.endpoint
    sqs            = var.endpoint
    ssm            = var.endpoint
    sts            = var.endpoint
    xray           = var.endpoint
  }
}

module "cogniforge" {
  source = "../.."

  name_prefix       = "cogniforge"
  stage             = "local"
  build_dir         = var.build_dir
  functions_dir     = var.functions_dir
  statemachines_dir = var.statemachines_dir
  config_dir        = var.config_dir
  architecture      = var.architecture
  live_versions     = var.live_versions
  canary_weights    = var.canary_weights

  example_secret_rotation = var.example_secret_rotation
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

output "state_machine_definitions" {
  value = module.cogniforge.state_machine_definitions
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
