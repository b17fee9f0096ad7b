output "function_names" {
  description = "Lambda function name by function."
  value       = { for k, m in module.function : k => m.function_name }
}

output "function_alias_arns" {
  description = "ARN of each function's `live` alias."
  value       = { for k, m in module.function : k => m.alias_arn }
}

output "function_urls" {
  description = "Function URL by function (only those that declare one)."
  value       = { for k, m in module.function : k => m.function_url if m.function_url != null }
}

output "queue_urls" {
  description = "Trigger queue URL by function (only those with a queue trigger)."
  value       = { for k, m in module.function : k => m.queue_url if m.queue_url != null }
}

output "dlq_urls" {
  description = "Dead-letter queue URL by function (only those with a queue trigger)."
  value       = { for k, m in module.function : k => m.dlq_url if m.dlq_url != null }
}

output "state_machine_arns" {
  description = "State machine ARN by definition name."
  value       = { for k, m in module.state_machine : k => m.arn }
}

output "state_machine_definitions" {
  description = "Deployed definition (placeholders substituted) by definition name."
  value       = { for k, m in module.state_machine : k => m.definition }
}

output "table_name" {
  description = "The store's DynamoDB table."
  value       = module.table.name
}

output "event_bus_name" {
  description = "The EventBridge bus every CloudEvent goes to."
  value       = module.bus.name
}

output "config_ssm_path" {
  description = "SSM path of the declarative files (COGNIFORGE_CONFIG_SSM_PATH)."
  value       = local.config_ssm_path
}

output "slo_parameters" {
  description = "SSM parameter name by file of config/slos."
  value       = module.slo_config.parameters
}
