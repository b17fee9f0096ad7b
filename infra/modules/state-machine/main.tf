locals {
  machine_name = "${var.name_prefix}-${var.name}"
  raw          = file(var.definition_file)
  placeholders = toset(flatten(regexall("\\$\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\}", local.raw)))
  missing      = setsubtract(local.placeholders, keys(var.substitutions))
  # Rendered only when complete, so a missing placeholder reports the
  # validation above rather than templatefile's own error.
  definition = length(local.missing) == 0 ? templatefile(var.definition_file, var.substitutions) : null

  # The machine may invoke exactly the functions its definition names.
  invoked = sort([for p in local.placeholders : var.substitutions[p] if startswith(p, "function_arn_") && contains(keys(var.substitutions), p)])

  statements = concat(
    length(local.invoked) == 0 ? [] : [{
      Sid      = "InvokeReferencedFunctions"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = local.invoked
    }],
    # Log delivery and X-Ray actions support no resource-level permissions:
    # "*" is the only possible resource (allow-listed in the policy test).
    var.log_level == "OFF" ? [] : [{
      Sid    = "DeliverExecutionLogs"
      Effect = "Allow"
      Action = [
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
      ]
      Resource = ["*"]
    }],
    var.tracing ? [{
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      Resource = ["*"]
    }] : [],
  )
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${local.machine_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name = "${local.machine_name}-sfn"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  count  = length(local.statements) == 0 ? 0 : 1
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

resource "aws_sfn_state_machine" "this" {
  name       = local.machine_name
  role_arn   = aws_iam_role.this.arn
  type       = var.type
  definition = local.definition

  dynamic "logging_configuration" {
    for_each = var.log_level == "OFF" ? [] : [1]
    content {
      log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
      level                  = var.log_level
      include_execution_data = false
    }
  }

  tracing_configuration {
    enabled = var.tracing
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.missing) == 0
      error_message = "State machine ${var.name} references undefined placeholders: ${join(", ", sort(local.missing))}."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
