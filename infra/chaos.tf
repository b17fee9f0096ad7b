# Chaos (pkg/chaos): the one SSM parameter holding the chaos configuration
# (a chaos.Document: {"faults": [...]}), read by every function's injector
# at most once per COGNIFORGE_CHAOS_TTL (30 s) per instance and written only
# by the chaos-injector function. Terraform creates it empty and then leaves
# its value alone (the injector owns it). Every function may read this
# parameter and no other chaos one; only the injector may write it.

locals {
  chaos_parameter     = "/${var.name_prefix}/chaos/faults"
  chaos_parameter_arn = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.chaos_parameter}"

  # Merged into every function's environment (main.tf): the injector in
  # each chain reads the parameter; COGNIFORGE_CHAOS = "off" would leave it out.
  chaos_environment = {
    COGNIFORGE_CHAOS_PARAMETER    = local.chaos_parameter
    COGNIFORGE_CHAOS_TTL          = var.chaos_ttl
    COGNIFORGE_CHAOS_MAX_DURATION = var.chaos_max_duration
  }
  read_chaos_config = {
    sid       = "ReadChaosFaults"
    actions   = ["ssm:GetParameter"]
    resources = [local.chaos_parameter_arn]
  }
  # A minimal-blast-radius fault is applied by the one instance that claims
  # it: a conditional put in the store's chaos#claims partition, and no
  # other item of the table.
  chaos_claims = {
    sid       = "ClaimChaosFaults"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [module.table.arn]
    condition = { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["chaos#claims"] } }
  }
  write_chaos_config = {
    sid       = "WriteChaosFaults"
    actions   = ["ssm:GetParameter", "ssm:PutParameter"]
    resources = [local.chaos_parameter_arn]
  }
}

variable "chaos_ttl" {
  description = "How long a function instance uses the chaos configuration it read (COGNIFORGE_CHAOS_TTL)."
  type        = string
  default     = "30s"
}

variable "chaos_max_duration" {
  description = "The furthest ahead a chaos fault may expire (COGNIFORGE_CHAOS_MAX_DURATION)."
  type        = string
  default     = "24h"
}

resource "aws_ssm_parameter" "chaos_faults" {
  name        = local.chaos_parameter
  description = "CogniForge chaos faults (pkg/chaos Document), written by the chaos-injector."
  type        = "String"
  tier        = "Intelligent-Tiering"
  value       = jsonencode({ faults = [] })
  tags        = local.tags

  lifecycle {
    ignore_changes = [value]
  }
}

output "chaos_parameter" {
  description = "The SSM parameter holding the chaos faults."
  value       = aws_ssm_parameter.chaos_faults.name
}

# The chaos monkey's settings (config/chaos-monkey: opted-in functions,
# fault templates), read at its cold start.
module "chaos_monkey_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/chaos-monkey"
  kind   = "chaos-monkey"
  path   = local.config_ssm_path
  tags   = local.tags
}

locals {
  read_chaos_monkey_config = {
    sid       = "ReadChaosMonkeySettings"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}${module.chaos_monkey_config.path}", "${local.ssm_parameter_arn}${module.chaos_monkey_config.path}/*"]
  }
  chaos_monkey_environment = {
    COGNIFORGE_CONFIG_SSM_PATH = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST   = module.chaos_monkey_config.digest
  }
}
