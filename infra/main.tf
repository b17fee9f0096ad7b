# CogniForge Functions on AWS: every function in functions/ (declared in
# functions.tf), every definition in statemachines/, the store table, the
# event bus, and the queues and schedules the functions declare. Providers
# are configured by the environments in envs/.

locals {
  repo_root         = abspath("${path.module}/..")
  build_dir         = coalesce(var.build_dir, "${local.repo_root}/build")
  functions_dir     = coalesce(var.functions_dir, "${local.repo_root}/functions")
  statemachines_dir = coalesce(var.statemachines_dir, "${local.repo_root}/statemachines")
  tags              = merge({ project = "cogniforge", stage = var.stage }, var.tags)

  otel_environment = merge(
    {
      OTEL_PROPAGATORS         = "tracecontext,baggage,xray"
      OTEL_RESOURCE_ATTRIBUTES = "deployment.environment=${var.stage},service.namespace=${var.name_prefix}"
    },
    var.otel_exporter_otlp_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otel_exporter_otlp_endpoint },
  )

  # Every function gets the shared resources' names; functions.tf adds its own.
  shared_environment = {
    COGNIFORGE_STAGE     = var.stage
    COGNIFORGE_TABLE     = module.table.name
    COGNIFORGE_EVENT_BUS = module.bus.name
    # Each function reads its own versioned parameters under
    # /cogniforge/<env>/<function>/ (pkg/config), e.g. its resilience
    # policies: read_own_config below allows exactly that path.
    COGNIFORGE_ENV = var.config_environment
  }

  state_machines = { for f in fileset(local.statemachines_dir, "*.asl.json") : trimsuffix(f, ".asl.json") => "${local.statemachines_dir}/${f}" }

  # Placeholders a definition may use: function_arn_<name> (dashes as
  # underscores; the `live` alias, so canaries apply to Task states too),
  # plus the shared resources.
  substitutions = merge(
    { for k, m in module.function : "function_arn_${replace(k, "-", "_")}" => m.alias_arn },
    {
      table_name     = module.table.name
      event_bus_name = module.bus.name
      event_bus_arn  = module.bus.arn
    },
  )

  # Deployed functions: those of functions.tf plus extra_functions, which is
  # empty here; test/deploy sets it from an override file to deploy a fixture
  # that exercises every trigger kind.
  functions       = merge(local.declared_functions, local.extra_functions)
  extra_functions = {}

  discovered_functions = toset([for f in fileset(local.functions_dir, "*/main.go") : dirname(f)])
}

module "table" {
  source = "./modules/table"
  name   = "${var.name_prefix}-store"
  tags   = local.tags
}

module "bus" {
  source = "./modules/bus"
  name   = var.name_prefix
  tags   = local.tags
}

locals {
  read_own_config = { for name in keys(local.functions) : name => {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["${local.ssm_parameter_arn}/cogniforge/${var.config_environment}/${name}", "${local.ssm_parameter_arn}/cogniforge/${var.config_environment}/${name}/*"]
  } }
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  name                 = each.key
  name_prefix          = var.name_prefix
  zip_path             = "${local.build_dir}/${each.key}.zip"
  description          = try(each.value.description, "")
  architecture         = var.architecture
  memory_size          = try(each.value.memory_size, 128)
  timeout              = try(each.value.timeout, 10)
  environment          = merge(local.shared_environment, local.chaos_environment, try(each.value.environment, {}))
  otel_environment     = local.otel_environment
  policy_statements    = concat(try(each.value.policy_statements, []), [local.read_chaos_config, local.chaos_claims, local.read_own_config[each.key]])
  log_retention_days   = var.log_retention_days
  reserved_concurrency = try(each.value.reserved_concurrency, null)
  function_url         = try(each.value.function_url, null)
  queue                = try(each.value.queue, null)
  schedules            = try(each.value.schedules, {})
  event_bus_name       = module.bus.name
  event_rules          = try(each.value.event_rules, {})
  live_version         = lookup(var.live_versions, each.key, null)
  canary_weight        = lookup(var.canary_weights, each.key, 0)
  release_controlled   = contains(var.released_functions, each.key)
  tags                 = local.tags
}

module "state_machine" {
  source   = "./modules/state-machine"
  for_each = local.state_machines

  name               = each.key
  name_prefix        = var.name_prefix
  definition_file    = each.value
  substitutions      = local.substitutions
  type               = lookup(var.state_machine_types, each.key, "STANDARD")
  log_retention_days = var.log_retention_days
  tags               = local.tags
}

# A function directory without an entry in functions.tf is never deployed:
# say so on every plan (test/deploy fails on it).
check "every_function_wired" {
  assert {
    condition     = length(setsubtract(local.discovered_functions, keys(local.declared_functions))) == 0
    error_message = "functions/ has functions not wired in infra/functions.tf: ${join(", ", sort(setsubtract(local.discovered_functions, keys(local.declared_functions))))}."
  }
}
