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

# Game days: experiments of config/chaos run by the chaos-experiment state
# machine on an EventBridge Scheduler schedule, each run reported
# (dev.cogniforge.chaos.experiment.completed.v1, `cogniforge chaos report`).
# The experiment file is the execution's input as written; the machine's
# prepare step validates it. Deployed disabled unless enabled = true.
variable "chaos_game_days" {
  description = "Game days: name => { experiment = file under config/chaos, schedule = rate()/cron(), enabled }."
  type = map(object({
    experiment = string
    schedule   = string
    timezone   = optional(string, "UTC")
    enabled    = optional(bool, false)
  }))
  default = {
    weekly-payment-outage = { experiment = "payment-outage.yaml", schedule = "cron(0 10 ? * TUE *)" }
  }
}

resource "aws_iam_role" "chaos_game_days" {
  count = length(local.chaos_game_days) == 0 ? 0 : 1
  name  = "${var.name_prefix}-chaos-game-days"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "chaos_game_days" {
  count = length(local.chaos_game_days) == 0 ? 0 : 1
  name  = "start-chaos-experiments"
  role  = aws_iam_role.chaos_game_days[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartChaosExperiment"
      Effect   = "Allow"
      Action   = ["states:StartExecution"]
      Resource = [module.state_machine["chaos-experiment"].arn]
    }]
  })
}

locals {
  # A game day whose experiment file is missing is not deployed (an
  # environment without config/chaos).
  chaos_game_days = { for k, v in var.chaos_game_days : k => v if fileexists("${local.config_dir}/chaos/${v.experiment}") }
}

resource "aws_scheduler_schedule" "chaos_game_day" {
  for_each                     = local.chaos_game_days
  name                         = "${var.name_prefix}-gameday-${each.key}"
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.state_machine["chaos-experiment"].arn
    role_arn = aws_iam_role.chaos_game_days[0].arn
    input    = jsonencode({ experiment = yamldecode(file("${local.config_dir}/chaos/${each.value.experiment}")) })
    retry_policy {
      maximum_retry_attempts       = 0
      maximum_event_age_in_seconds = 3600
    }
  }

  depends_on = [aws_iam_role_policy.chaos_game_days]
}
