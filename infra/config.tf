# The users' declarative files, deployed where the functions read them in
# AWS: one SSM parameter per file at <config_ssm_path>/<kind>/<file name>.
# pkg/wiring's SSMConfig reads <config_ssm_path>/<kind> with
# GetParametersByPath, as DirConfig reads config/<kind>/*.yaml locally, so a
# file means the same in both places. Only slos/ is deployed so far.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  config_dir      = coalesce(var.config_dir, "${local.repo_root}/config")
  config_ssm_path = coalesce(var.config_ssm_path, "/${var.name_prefix}/config")

  # The files DirConfig would read. A parameter's size is its value's bytes
  # (file() counts characters), recovered from the base64 length.
  slo_files = {
    for f in fileset("${local.config_dir}/slos", "*.{yaml,yml}") : f => {
      value = file("${local.config_dir}/slos/${f}")
      bytes = length(filebase64("${local.config_dir}/slos/${f}")) / 4 * 3 - length(regexall("=", filebase64("${local.config_dir}/slos/${f}")))
    }
  }

  # What a function reading one kind of configuration needs: the kind's
  # level (what GetParametersByPath is authorised on) and the levels below
  # it (in case definitions are ever grouped in subfolders). Scoped to the
  # kind, not the whole config path: other kinds are other functions'.
  config_arn_prefix = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${local.config_ssm_path}"
  read_slo_config = {
    sid       = "ReadSLODefinitions"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.config_arn_prefix}/slos", "${local.config_arn_prefix}/slos/*"]
  }

  # Changes whenever a definition does, so the SLO functions get a new
  # configuration (hence new instances and a new version) and no warm
  # instance keeps the definitions it compiled at its cold start. Reading
  # the parameters also orders the functions after them.
  slo_config_digest = sha256(jsonencode({ for k, p in aws_ssm_parameter.slo : p.name => p.insecure_value }))

  # The environment of a function reading SLO definitions.
  slo_config_environment = {
    COGNIFORGE_CONFIG_SSM_PATH = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST   = local.slo_config_digest
  }
}

resource "aws_ssm_parameter" "slo" {
  for_each    = local.slo_files
  name        = "${local.config_ssm_path}/slos/${each.key}"
  description = "SLO definitions (OpenSLO) from config/slos/${each.key}."
  type        = "String"
  # Not secret, so the plan shows what changes in a definition.
  insecure_value = each.value.value
  # Standard parameters hold 4 KB and cost nothing; Advanced ones hold 8 KB
  # and are billed per parameter and month, so only a large file gets one.
  # (Going back to Standard replaces the parameter.)
  tier = each.value.bytes > 4096 ? "Advanced" : "Standard"
  tags = local.tags

  lifecycle {
    precondition {
      condition     = each.value.bytes > 0 && each.value.bytes <= 8192
      error_message = "${local.config_dir}/slos/${each.key} has ${each.value.bytes} bytes: an SSM parameter holds 1 to 8192 (Advanced tier); split its documents over several files."
    }
  }
}
