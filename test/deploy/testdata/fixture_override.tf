# Copied into the temporary copy of infra/ by the deploy test: a fixture
# function that declares every trigger kind, so each is applied and checked
# even before a real function uses it.
locals {
  extra_functions = {
    "fixture-worker" = {
      description          = "deploy test fixture: every trigger kind"
      reserved_concurrency = 2
      timeout              = 20
      function_url         = { auth_type = "NONE" }
      environment          = { FIXTURE = "1" }
      queue                = { batch_size = 5, batching_window_seconds = 2, max_receives = 4, event_types = ["dev.cogniforge.request.completed.v1"] }
      schedules = {
        tick    = { expression = "rate(5 minutes)" }
        nightly = { expression = "cron(0 3 * * ? *)", timezone = "Europe/Paris", input = "{\"job\":\"nightly\"}" }
      }
      event_rules = { saga = { detail_types = ["dev.cogniforge.saga.started.v1", "dev.cogniforge.saga.stuck.v1"] } }
      policy_statements = [{
        sid       = "ReadStore"
        actions   = ["dynamodb:GetItem", "dynamodb:Query"]
        resources = [module.table.arn]
      }]
    }
  }
}
