variable "name" {
  description = "Table name."
  type        = string
}

variable "point_in_time_recovery" {
  description = "Continuous backups (PITR): restore to any second of the last 35 days."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on the table."
  type        = map(string)
  default     = {}
}

# The store's single-table layout: string partition key pk, string sort key sk,
# items expire through the epoch-seconds attribute ttl.
resource "aws_dynamodb_table" "this" {
  name         = var.name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}

output "name" {
  description = "Table name."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "Table ARN (item actions); index ARNs are <arn>/index/*."
  value       = aws_dynamodb_table.this.arn
}
