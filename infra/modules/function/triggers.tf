# SQS trigger: queue -> event source mapping on the live alias; failed
# messages are retried max_receives times and then land in the DLQ.
resource "aws_sqs_queue" "dlq" {
  count                     = var.queue == null ? 0 : 1
  name                      = "${local.function_name}-dlq"
  message_retention_seconds = var.queue.dlq_retention_seconds
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  count                     = var.queue == null ? 0 : 1
  name                      = local.function_name
  message_retention_seconds = var.queue.message_retention_seconds
  # AWS advises six times the function timeout so a message is not delivered
  # again while a batch (plus its batching window) is still being worked on.
  visibility_timeout_seconds = 6 * var.timeout + var.queue.batching_window_seconds
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.queue.max_receives
  })
  tags = var.tags
}

# A policy of its own, so the function's main policy does not wait for the
# queue (SQS takes 25 s to confirm a new queue).
resource "aws_iam_role_policy" "queue" {
  count = var.queue == null ? 0 : 1
  name  = "consume-own-queue"
  role  = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ConsumeOwnQueue"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      Resource = [aws_sqs_queue.this[0].arn]
    }]
  })
}

# Bus to queue: the CloudEvent types the function consumes through its queue,
# matched by detail-type (the EventBridge publisher puts the type there). The
# message body is the EventBridge event; the queue adapter reads the
# CloudEvent from its detail.
resource "aws_cloudwatch_event_rule" "queue" {
  count          = var.queue == null ? 0 : (length(var.queue.event_types) > 0 ? 1 : 0)
  name           = "${local.function_name}-queue"
  event_bus_name = var.event_bus_name
  event_pattern  = jsonencode({ "detail-type" = var.queue.event_types })
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "queue" {
  count          = length(aws_cloudwatch_event_rule.queue)
  rule           = aws_cloudwatch_event_rule.queue[0].name
  event_bus_name = var.event_bus_name
  target_id      = "queue"
  arn            = aws_sqs_queue.this[0].arn
}

# Only this rule may send to the queue.
resource "aws_sqs_queue_policy" "bus" {
  count     = length(aws_cloudwatch_event_rule.queue)
  queue_url = aws_sqs_queue.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "BusDelivers"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.this[0].arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.queue[0].arn } }
    }]
  })
}

resource "aws_lambda_event_source_mapping" "queue" {
  count                              = var.queue == null ? 0 : 1
  event_source_arn                   = aws_sqs_queue.this[0].arn
  function_name                      = local.alias.arn
  batch_size                         = var.queue.batch_size
  maximum_batching_window_in_seconds = var.queue.batching_window_seconds
  # The queue adapter returns the failed message ids so only those are retried.
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.queue.max_concurrency == null ? [] : [1]
    content {
      maximum_concurrency = var.queue.max_concurrency
    }
  }

  # Lambda checks the role can read the queue when the mapping is created.
  depends_on = [aws_iam_role_policy.queue]
}

# EventBridge Scheduler: its own role, allowed to invoke this alias only.
resource "aws_iam_role" "scheduler" {
  count = length(var.schedules) == 0 ? 0 : 1
  name  = "${local.function_name}-sched"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  count = length(var.schedules) == 0 ? 0 : 1
  name  = "invoke-live-alias"
  role  = aws_iam_role.scheduler[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeLiveAlias"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [local.alias.arn]
    }]
  })
}

locals {
  # What a schedule sends when it names no input: EventBridge Scheduler's
  # context attributes in the shape pkg/faas turns into a
  # dev.cogniforge.schedule.fired.v1 CloudEvent (without an input the
  # function would get an empty object it cannot tell from a task payload).
  scheduler_input = jsonencode({
    scheduleArn   = "<aws.scheduler.schedule-arn>"
    scheduledTime = "<aws.scheduler.scheduled-time>"
    executionId   = "<aws.scheduler.execution-id>"
    attemptNumber = "<aws.scheduler.attempt-number>"
  })
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = var.schedules
  name                         = "${local.function_name}-${each.key}"
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.alias.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = coalesce(each.value.input, local.scheduler_input)
    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}

# EventBridge rules: one rule per entry on the bus, matching CloudEvent types
# by detail-type (the EventBridge publisher puts the type there).
resource "aws_cloudwatch_event_rule" "this" {
  for_each       = var.event_rules
  name           = "${local.function_name}-${each.key}"
  event_bus_name = var.event_bus_name
  event_pattern  = jsonencode({ "detail-type" = each.value.detail_types })
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each       = var.event_rules
  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = var.event_bus_name
  target_id      = "live"
  arn            = local.alias.arn
}

resource "aws_lambda_permission" "events" {
  for_each      = var.event_rules
  statement_id  = "EventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = local.alias.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}
