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

# On-call schedules, escalation policies and notification channels
# (config/oncall) for the incident-escalator, and the incident settings
# (config/incidents: severity map, maintenance windows) for both incident
# functions.
module "oncall_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/oncall"
  kind   = "oncall"
  path   = local.config_ssm_path
  tags   = local.tags
}

module "incidents_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/incidents"
  kind   = "incidents"
  path   = local.config_ssm_path
  tags   = local.tags
}

locals {
  ssm_parameter_arn = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter"
  read_incident_config = {
    sid       = "ReadIncidentSettings"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}${module.incidents_config.path}", "${local.ssm_parameter_arn}${module.incidents_config.path}/*"]
  }
  read_oncall_config = {
    sid       = "ReadOnCall"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}${module.oncall_config.path}", "${local.ssm_parameter_arn}${module.oncall_config.path}/*"]
  }
  incident_manager_environment = {
    COGNIFORGE_CONFIG_SSM_PATH = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST   = module.incidents_config.digest
  }
  # The escalator starts the incident-escalation machine by name.
  state_machine_arn_prefix = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stateMachine:${var.name_prefix}-"
  incident_escalator_environment = {
    COGNIFORGE_CONFIG_SSM_PATH          = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST            = sha256("${module.oncall_config.digest}/${module.incidents_config.digest}/${module.resilience_config.digest}")
    COGNIFORGE_STATE_MACHINE_ARN_PREFIX = local.state_machine_arn_prefix
  }
  start_escalation = {
    sid       = "StartEscalation"
    actions   = ["states:StartExecution"]
    resources = ["${local.state_machine_arn_prefix}incident-escalation"]
  }
  # SNS channels (SMS, e-mail) of config/oncall/channels.yaml.
  publish_sns = {
    sid       = "NotifyThroughSNS"
    actions   = ["sns:Publish"]
    resources = ["arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*"]
  }
}

# Call policies (config/resilience/<function>.yaml, pkg/resilience) of the
# functions that declare downstreams: each reads its own file at cold start.
module "resilience_config" {
  source = "./modules/config"
  dir    = "${local.config_dir}/resilience"
  kind   = "resilience"
  path   = local.config_ssm_path
  tags   = local.tags
}

locals {
  read_resilience_config = {
    sid       = "ReadResiliencePolicies"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}${module.resilience_config.path}", "${local.ssm_parameter_arn}${module.resilience_config.path}/*"]
  }
  resilience_config_environment = {
    COGNIFORGE_CONFIG_SSM_PATH = local.config_ssm_path
    COGNIFORGE_CONFIG_DIGEST   = module.resilience_config.digest
  }
}
