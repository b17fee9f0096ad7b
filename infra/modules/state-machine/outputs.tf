output "arn" {
  description = "State machine ARN."
  value       = aws_sfn_state_machine.this.arn
}

output "name" {
  description = "State machine name."
  value       = aws_sfn_state_machine.this.name
}

output "definition" {
  description = "The definition as deployed, placeholders substituted."
  value       = local.definition
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}
