output "function_name" {
  description = "Lambda function name (<name_prefix>-<name>)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified function ARN."
  value       = aws_lambda_function.this.arn
}

output "alias_arn" {
  description = "ARN of the `live` alias: what triggers, schedules and state machines invoke."
  value       = local.alias.arn
}

output "version" {
  description = "Version published by this apply."
  value       = aws_lambda_function.this.version
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "function_url" {
  description = "Function URL of the `live` alias, or null."
  value       = try(aws_lambda_function_url.this[0].function_url, null)
}

output "queue_url" {
  description = "URL of the trigger queue, or null."
  value       = try(aws_sqs_queue.this[0].url, null)
}

output "queue_arn" {
  description = "ARN of the trigger queue, or null."
  value       = try(aws_sqs_queue.this[0].arn, null)
}

output "dlq_url" {
  description = "URL of the trigger queue's dead-letter queue, or null."
  value       = try(aws_sqs_queue.dlq[0].url, null)
}

output "schedule_names" {
  description = "Scheduler schedule names by key."
  value       = { for k, s in aws_scheduler_schedule.this : k => s.name }
}

output "event_rule_names" {
  description = "EventBridge rule names by key."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}
