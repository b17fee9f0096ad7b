variable "name" {
  description = "Event bus name."
  type        = string
}

variable "tags" {
  description = "Tags on the bus."
  type        = map(string)
  default     = {}
}

# The bus every CloudEvent is published to (detail-type = CloudEvent type,
# source = CloudEvent source); functions subscribe with rules on it.
resource "aws_cloudwatch_event_bus" "this" {
  name = var.name
  tags = var.tags
}

output "name" {
  description = "Bus name."
  value       = aws_cloudwatch_event_bus.this.name
}

output "arn" {
  description = "Bus ARN (the resource of events:PutEvents)."
  value       = aws_cloudwatch_event_bus.this.arn
}
