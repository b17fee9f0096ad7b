# The deployed functions, keyed by their directory under functions/. A
# function's triggers come from its Go declaration through functions.json
# (`cogniforge infra manifest -o infra/functions.json`); its deploy settings
# (timeout, permissions, ...) are an entry of deploy_settings below. Its zip
# comes from `make build`, and it gets a role, a log group, the `live` alias
# and the shared environment (COGNIFORGE_TABLE, COGNIFORGE_EVENT_BUS, OTEL_*)
# from modules/function.
# State machines reach it as $${function_arn_<name>} (dashes as underscores).
#
# Optional keys (see modules/function/variables.tf, and the fixture in
# test/deploy that uses them all): description, memory_size, timeout,
# environment, policy_statements, reserved_concurrency,
# function_url = { auth_type }, queue = { batch_size, batching_window_seconds,
# max_receives, event_types, ... }, schedules = { key = { expression } },
# event_rules = { key = { detail_types = [...] } }.
locals {
  # What pkg/store/dynamo calls, on the store table only. Transact's
  # TransactWriteItems is authorised item by item: Put/Update/DeleteItem and
  # ConditionCheckItem for its checks.
  use_store = {
    sid       = "UseStore"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:Query"]
    resources = [module.table.arn]
  }
  # What pkg/bus's EventBridge publisher calls, on our bus only.
  publish_events = {
    sid       = "PublishToBus"
    actions   = ["events:PutEvents"]
    resources = [module.bus.arn]
  }

  # What secret-rotator calls (pkg/secrets/smsecrets) on the secrets it
  # rotates: only those (secrets.tf: the example and var.rotated_secrets).
  # GetRandomPassword takes no resource, so it has its own statement on "*".
  rotate_secrets = {
    sid       = "RotateOwnSecrets"
    actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
    resources = local.rotated_secret_arns
  }
  random_password = {
    sid       = "RandomPassword"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  # A saga step service: a Step Functions Task function (no trigger of its
  # own) keeping barriers in the store and emitting saga events.
  saga_step = {
    timeout           = 30
    policy_statements = [local.use_store, local.publish_events]
  }

  # Triggers come from the functions themselves: functions.json is written
  # by `cogniforge infra manifest -o infra/functions.json` from each
  # function's Go declaration (faas.Function.Triggers), and a test fails when
  # it is stale. What stays here is how each function is deployed (timeout,
  # permissions, URL auth), merged over its manifest entry.
  manifest = jsondecode(file("${path.module}/functions.json")).functions

  deploy_settings = {
    "event-gateway" = {
      description  = "Front door: validates CloudEvents against the catalog and publishes them to the bus."
      function_url = { auth_type = "AWS_IAM" }
      timeout      = 15
      # PutEvents goes through the event-bus call policy (pkg/resilience):
      # its breaker is shared through the store, its settings are
      # config/resilience/event-gateway.yaml.
      environment       = local.resilience_config_environment
      policy_statements = [local.publish_events, local.use_store, local.read_resilience_config]
    }
    "order"     = merge(local.saga_step, { description = "Order fulfilment saga: the order step (pivot)." })
    "inventory" = merge(local.saga_step, { description = "Order fulfilment saga: stock reservation and its release." })
    "payment"   = merge(local.saga_step, { description = "Order fulfilment saga: charge and refund." })
    "shipping"  = merge(local.saga_step, { description = "Order fulfilment saga: shipment and its cancellation." })
    # Publishes the saga events the step functions accepted into a saga
    # record but could not publish (pkg/saga Relay); its schedule
    # (saga.RelaySchedule) comes from the manifest.
    "saga-outbox" = {
      description       = "Saga outbox relay: publishes saga events left unpublished, at least once."
      timeout           = 60
      policy_statements = [local.use_store, local.publish_events]
    }
    # SLOs (pkg/slo): both compile the definitions of config/slos, deployed
    # as SSM parameters (config.tf), at cold start. Their triggers come from
    # the manifest: the aggregator's queue, fed by a bus rule on
    # request.completed, dead-letters after 5 receives; the evaluator runs
    # every minute. Their URLs are internal APIs, so IAM-signed.
    "slo-aggregator" = {
      # Room for a cold start reading the definitions from SSM plus a
      # batch's store writes; the queue's visibility timeout is six times
      # this plus the batching window (modules/function), as AWS advises
      # for SQS triggers.
      timeout           = 60
      function_url      = { auth_type = "AWS_IAM" }
      environment       = local.slo_config_environment
      policy_statements = [local.use_store, local.read_slo_config]
    }
    "slo-evaluator" = {
      # Reads every SLO's buckets over its window each minute.
      timeout           = 60
      function_url      = { auth_type = "AWS_IAM" }
      environment       = local.slo_config_environment
      policy_statements = [local.use_store, local.publish_events, local.read_slo_config]
    }
    # Opens incidents from the SLO alerts and stuck sagas its queue
    # receives, and serves the incident API (IAM-signed URL).
    "incident-manager" = {
      timeout           = 30
      function_url      = { auth_type = "AWS_IAM" }
      environment       = local.incident_manager_environment
      policy_statements = [local.use_store, local.publish_events, local.read_incident_config]
    }
    # Starts each new incident's escalation machine and runs its steps;
    # a step's deliveries retry within notify's 2-minute bound per channel.
    # Channel secrets (COGNIFORGE_WEBHOOK_SECRET, PAGERDUTY_ROUTING_KEY ...)
    # are set on the function outside Terraform state.
    "incident-escalator" = {
      timeout           = 300
      environment       = local.incident_escalator_environment
      policy_statements = [local.use_store, local.publish_events, local.read_oncall_config, local.read_incident_config, local.read_resilience_config, local.start_escalation, local.publish_sns]
    }
    # Secrets Manager invokes it for each rotation step of the secrets
    # whose rotation names it; the invoke permission is
    # aws_lambda_permission.secrets_rotation below.
    # Its password settings are parameters under its own path (secrets.tf).
    "secret-rotator" = {
      timeout           = 60
      policy_statements = [local.use_store, local.publish_events, local.rotate_secrets, local.random_password]
    }
    # Lists and forces the circuit breakers shared through the store
    # (pkg/resilience): an operator's and a chaos experiment's tool, so
    # its URL is IAM-signed.
    "resilience-admin" = {
      function_url      = { auth_type = "AWS_IAM" }
      policy_statements = [local.use_store, local.publish_events]
    }
    # Reminds people before their shifts (config/oncall/reminders.yaml).
    # Like the escalator, it pages through each channel's breaker shared
    # in the store (notify.<channel> in config/resilience).
    "oncall-reminder" = {
      timeout           = 120
      environment       = local.incident_escalator_environment
      policy_statements = [local.use_store, local.publish_events, local.read_oncall_config, local.read_incident_config, local.read_resilience_config, local.publish_sns]
    }
    # Service discovery (pkg/discovery): the registry's API over an
    # IAM-signed URL, and every minute (its schedule, from the manifest) a
    # probe of each instance's health URL (2 s each, 16 at once), which
    # publishes health transitions. Thresholds: COGNIFORGE_HEALTH_* in
    # environment.
    "health-checker" = {
      timeout           = 60
      function_url      = { auth_type = "AWS_IAM" }
      policy_statements = [local.use_store, local.publish_events]
    }
    # Releases (pkg/release): counts the versioned request.completed events
    # of its queue, serves /releases (IAM-signed URL), starts the release
    # machine per release and moves the `live` alias of the function
    # released (list it in var.released_functions so applies leave the
    # alias to it).
    # API governance (pkg/apigov): audits every embedded API spec daily
    # (its schedule) and each spec change its bus rule delivers
    # (api.spec.changed), tallies request.completed from its queue to name
    # the callers a breaking change affects, keeps reports in the store,
    # publishes api.audited / api.breakingchange.detected, and serves the
    # governance dashboard over an IAM-signed URL. Its triggers come from
    # the manifest.
    "governance-auditor" = {
      timeout           = 120
      memory_size       = 256
      function_url      = { auth_type = "AWS_IAM" }
      policy_statements = [local.use_store, local.publish_events]
    }
    "release-controller" = {
      timeout      = 60
      function_url = { auth_type = "AWS_IAM" }
      environment = merge(local.slo_config_environment, {
        COGNIFORGE_STATE_MACHINE_ARN_PREFIX = local.state_machine_arn_prefix
        COGNIFORGE_FUNCTION_NAME_PREFIX     = "${var.name_prefix}-"
      })
      policy_statements = [local.use_store, local.publish_events, local.read_slo_config,
        {
          sid       = "StartRelease"
          actions   = ["states:StartExecution"]
          resources = ["${local.state_machine_arn_prefix}release"]
        },
        {
          sid       = "MoveAliases"
          actions   = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:PublishVersion"]
          resources = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:${var.name_prefix}-*"]
        },
      ]
    }
    # Starts and stops chaos faults (pkg/chaos) over its IAM-signed URL and
    # its request queue: the one writer of the chaos parameter (chaos.tf),
    # hence one instance at a time. Its store use is the minimal-radius
    # claims every injector makes.
    "chaos-injector" = {
      timeout              = 15
      function_url         = { auth_type = "AWS_IAM" }
      reserved_concurrency = 1
      policy_statements    = [local.use_store, local.publish_events, local.write_chaos_config]
    }
    # Now and then injects one short fault into an opted-in function
    # (config/chaos-monkey, deployed by chaos.tf); writes the chaos
    # parameter like the injector, one run at a time.
    "chaos-monkey" = {
      timeout              = 30
      reserved_concurrency = 1
      environment          = local.chaos_monkey_environment
      policy_statements    = [local.publish_events, local.write_chaos_config, local.read_chaos_monkey_config]
    }
    # The order read model (pkg/orderview): its queue, fed by a bus rule on
    # the saga events, dead-letters after 5 receives; each batch is
    # appended to the event store (pkg/eventstore: conditional
    # TransactWriteItems on the store table) and projected before it is
    # acknowledged. GET /orders is an internal API, so IAM-signed.
    "order-query" = {
      timeout           = 60
      function_url      = { auth_type = "AWS_IAM" }
      policy_statements = [local.use_store]
    }
  }

  # A deploy setting may refine a trigger (function_url's auth type) but
  # never adds one: a function_url here for a function without an HTTP
  # trigger is dropped.
  declared_functions = {
    for name, m in local.manifest : name => merge(
      m,
      { for k, v in lookup(local.deploy_settings, name, {}) : k => v if k != "function_url" || try(m.function_url, null) != null },
    )
  }
}

# Secrets Manager invokes a rotation function itself: functions whose
# manifest entry says secrets_rotation get an invoke permission for it on
# their live alias, limited to this account.
resource "aws_lambda_permission" "secrets_rotation" {
  for_each       = { for name, f in local.declared_functions : name => f if try(f.secrets_rotation, false) }
  statement_id   = "SecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = module.function[each.key].function_name
  qualifier      = "live" # modules/function's alias, what every trigger invokes
  principal      = "secretsmanager.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
}
