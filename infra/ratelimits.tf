# Rate-limit policies (config/ratelimits, pkg/ratelimit): every function's
# HTTP middleware reads them at cold start, so every function gets the
# read permission and the environment (main.tf). The digest changes with
# the policies, so no warm instance keeps old ones. Each client's limit is
# shared through the store table every function already uses (items
# ratelimit#<client> / api#<api>, expiring through the table's TTL).
module "ratelimits_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/ratelimits"
  kind   = "ratelimits"
  path   = local.config_ssm_path
  tags   = local.tags
}

locals {
  ratelimit_environment = {
    COGNIFORGE_CONFIG_SSM_PATH   = local.config_ssm_path
    COGNIFORGE_RATELIMITS_DIGEST = module.ratelimits_config.digest
  }
  read_ratelimit_config = {
    sid       = "ReadRateLimitPolicies"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}${module.ratelimits_config.path}", "${local.ssm_parameter_arn}${module.ratelimits_config.path}/*"]
  }
}
