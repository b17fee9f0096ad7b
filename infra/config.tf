# The users' declarative files, deployed where the functions read them in
# AWS: one SSM parameter per file at <config_ssm_path>/<kind>/<file name>
# (modules/config). Only slos/ is deployed so far; another kind is another
# instance of the module and a statement like read_slo_config.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  config_dir      = coalesce(var.config_dir, "${local.repo_root}/config")
  config_ssm_path = coalesce(var.config_ssm_path, "/${var.name_prefix}/config")

  # What a function reading SLO definitions needs: GetParametersByPath on
  # the kind's level (what IAM checks for that call) and on the levels
  # below it (should definitions ever be grouped in subfolders). Scoped to
  # the kind, not the whole config path: other kinds are other functions'.
  slo_config_arn = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${module.slo_config.path}"
  read_slo_config = {
    sid       = "ReadSLODefinitions"
    actions   = ["ssm:GetParametersByPath"]
    resources = [local.slo_config_arn, "${local.slo_config_arn}/*"]
  }

  # The environment of a function reading SLO definitions. The digest
  # changes whenever a definition does, so the functions get a new
  # configuration (hence new instances and a new version) and no warm
  # instance keeps the definitions it compiled at its cold start; it also
  # orders the functions after the parameters.
  slo_config_environment = {
    COGNIFORGE_CONFIG_SSM_PATH = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST   = module.slo_config.digest
  }
}

module "slo_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/slos"
  kind   = "slos"
  path   = local.config_ssm_path
  tags   = local.tags
}
