# Secrets rotated by secret-rotator: an example secret, its rotation
# schedule (quarterly, in a 3-hour window), the rotator's parameters under
# /cogniforge/<config_environment>/secret-rotator/ and what it may touch:
# only the secrets it rotates and only its own parameter path.

variable "config_environment" {
  description = "The configuration environment functions read their parameters from (/cogniforge/<env>/<function>/, COGNIFORGE_ENV): dev, staging or prod."
  type        = string
  default     = "dev"
  validation {
    condition     = contains(["dev", "staging", "prod"], var.config_environment)
    error_message = "config_environment must be dev, staging or prod."
  }
}

variable "example_secret_rotation" {
  description = "Rotation rules of the example secret (Secrets Manager RotationRules: schedule_expression or automatically_after_days, and duration); null leaves it without a schedule (emulators such as moto cannot apply one)."
  type = object({
    schedule_expression      = optional(string)
    automatically_after_days = optional(number)
    duration                 = optional(string)
  })
  default = {
    schedule_expression = "rate(90 days)"
    duration            = "3h"
  }
}

variable "rotated_secrets" {
  description = "Names (without the -xxxxxx suffix Secrets Manager appends) of further secrets secret-rotator rotates or reads (an alternating-users master); it may touch no others."
  type        = list(string)
  default     = []
}

locals {
  example_secret_name = "${var.name_prefix}-example-api-key"
  secret_arn_prefix   = "arn:${data.aws_partition.current.partition}:secretsmanager:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:secret:"
  # Secrets Manager ends each ARN with "-" and six random characters: the
  # ?????? matches exactly those, so a policy for "x" never covers "x-y".
  rotated_secret_arns = [for n in concat([local.example_secret_name], var.rotated_secrets) : "${local.secret_arn_prefix}${n}-??????"]

  rotator_parameter_path = "/cogniforge/${var.config_environment}/secret-rotator"
  rotator_parameters = {
    # pkg/registry/secretsfn.Settings: read through wiring.FunctionConfig,
    # cached a minute, so a change lands without a redeploy.
    "password/length"             = "32"
    "password/exclude-characters" = "`~"
  }
}

resource "aws_secretsmanager_secret" "example" {
  name        = local.example_secret_name
  description = "Example API key rotated by secret-rotator (generic rotator: apiKey replaced, user kept)."
  # Deleted at once on destroy, so the name can be deployed again.
  recovery_window_in_days = 0
  tags                    = local.tags
}

# The first value is a placeholder the first rotation replaces; rotations
# then own the value, so Terraform never writes it back.
resource "aws_secretsmanager_secret_version" "example" {
  secret_id     = aws_secretsmanager_secret.example.id
  secret_string = jsonencode({ user = "example", apiKey = "replaced-at-the-first-rotation" })
  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret_rotation" "example" {
  count               = var.example_secret_rotation == null ? 0 : 1
  secret_id           = aws_secretsmanager_secret.example.id
  rotation_lambda_arn = module.function["secret-rotator"].alias_arn
  rotation_rules {
    schedule_expression      = var.example_secret_rotation.schedule_expression
    automatically_after_days = var.example_secret_rotation.automatically_after_days
    duration                 = var.example_secret_rotation.duration
  }
  depends_on = [aws_lambda_permission.secrets_rotation, aws_secretsmanager_secret_version.example, aws_ssm_parameter.rotator]
}

resource "aws_ssm_parameter" "rotator" {
  for_each = local.rotator_parameters
  name     = "${local.rotator_parameter_path}/${each.key}"
  type     = "String"
  value    = each.value
  tags     = local.tags
}
