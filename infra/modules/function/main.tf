locals {
  function_name = "${var.name_prefix}-${var.name}"

  environment = merge(
    { OTEL_SERVICE_NAME = var.name },
    var.otel_environment,
    var.environment,
  )

  # Statements every function needs, each scoped to this function's own resources.
  log_statements = [{
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }]
  # X-Ray's write actions support no resource-level permissions: "*" is the only
  # possible resource (allow-listed in the policy test).
  xray_statements = var.tracing_mode == "Active" ? [{
    sid       = "WriteTraces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }] : []
  caller_statements = [for i, s in var.policy_statements : {
    sid       = coalesce(s.sid, "Function${i}")
    effect    = s.effect
    actions   = s.actions
    resources = s.resources
    condition = s.condition
  }]

  statements = concat(local.log_statements, local.xray_statements, local.caller_statements)

  # The alias routes canary_weight of its traffic to the new version only
  # while it is pinned to an older one.
  new_version  = aws_lambda_function.this.version
  live_version = coalesce(var.live_version, local.new_version)
  canary       = var.live_version != null && var.canary_weight > 0
}

# The log group is created before the function so Lambda never creates it
# itself without a retention.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name = "${local.function_name}-fn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "least-privilege"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [for s in local.statements : merge({
      Sid      = s.sid
      Effect   = s.effect
      Action   = s.actions
      Resource = s.resources
    }, { for k, v in { Condition = try(s.condition, null) } : k => v if v != null })]
  })
}

resource "aws_lambda_function" "this" {
  function_name = local.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  runtime       = var.runtime
  handler       = "bootstrap"
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout
  # Guarded so a missing zip reports the variable validation above, not a
  # second, less helpful file error.
  filename         = var.zip_path
  source_code_hash = fileexists(var.zip_path) ? filebase64sha256(var.zip_path) : null
  # Every apply that changes the code publishes a version the alias can route to.
  publish                        = true
  reserved_concurrent_executions = coalesce(var.reserved_concurrency, -1)

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = fileexists(var.zip_path)
      error_message = "Deployment package ${var.zip_path} for function ${var.name} does not exist: run `make build`."
    }
  }

  # Not on the role's policies: creating a function needs only the role, and
  # Terraform orders resources per block, not per module instance, so one
  # function's slow queue would hold back every function.
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_alias" "live" {
  count            = var.release_controlled ? 0 : 1
  name             = "live"
  description      = local.canary ? "canary: ${var.canary_weight * 100}% to version ${local.new_version}" : "all traffic to one version"
  function_name    = aws_lambda_function.this.function_name
  function_version = local.live_version

  dynamic "routing_config" {
    for_each = local.canary ? [1] : []
    content {
      additional_version_weights = { (local.new_version) = var.canary_weight }
    }
  }
}

# A function released by release-controller (pkg/release): Terraform
# creates its `live` alias on the first version and publishes new
# versions, but the controller moves the alias between them (weights,
# promotion, rollback), so an apply must not move it back.
resource "aws_lambda_alias" "released" {
  count            = var.release_controlled ? 1 : 0
  name             = "live"
  description      = "moved by release-controller"
  function_name    = aws_lambda_function.this.function_name
  function_version = local.live_version

  lifecycle {
    ignore_changes = [function_version, routing_config, description]
  }
}

moved {
  from = aws_lambda_alias.live
  to   = aws_lambda_alias.live[0]
}

locals {
  alias = one(concat(aws_lambda_alias.live, aws_lambda_alias.released))
}

resource "aws_lambda_function_url" "this" {
  count              = var.function_url == null ? 0 : 1
  function_name      = aws_lambda_function.this.function_name
  qualifier          = local.alias.name
  authorization_type = var.function_url.auth_type
}

# A public URL still needs a resource policy allowing anonymous callers.
resource "aws_lambda_permission" "url_public" {
  count                  = try(var.function_url.auth_type, "") == "NONE" ? 1 : 0
  statement_id           = "PublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  qualifier              = local.alias.name
  principal              = "*"
  function_url_auth_type = "NONE"
}
