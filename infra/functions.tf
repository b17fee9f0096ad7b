# The deployed functions, keyed by their directory under functions/. Adding a
# function is one entry here: its zip comes from `make build`, and it gets
# a role, a log group, the `live` alias and the shared environment
# (COGNIFORGE_TABLE, COGNIFORGE_EVENT_BUS, OTEL_*) from modules/function.
#
# Optional keys (see modules/function/variables.tf, and the
# fixture in test/deploy that uses them all): description, memory_size,
# timeout, environment, policy_statements, reserved_concurrency,
# function_url = { auth_type }, queue = { batch_size, batching_window_seconds,
# max_receives, ... }, schedules = { key = { expression } },
# event_rules = { key = { detail_types = [...] } }.
locals {
  declared_functions = {
    "event-gateway" = {
      description  = "Front door: validates CloudEvents against the catalog and publishes them to the bus."
      function_url = { auth_type = "AWS_IAM" }
      timeout      = 15
      policy_statements = [{
        sid       = "PublishToBus"
        actions   = ["events:PutEvents"]
        resources = [module.bus.arn]
      }]
    }
  }
}
