variable "name" {
  description = "Function name: the directory under functions/ and the suffix of the Lambda name."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name))
    error_message = "name must be lower-case letters, digits and dashes (at most 40), like the functions/<name> directory."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; the Lambda is named <name_prefix>-<name>."
  type        = string
  default     = "cogniforge"
}

variable "zip_path" {
  description = "Path of the deployment package built by `make build` (build/<name>.zip): a zip holding a `bootstrap` executable."
  type        = string
  validation {
    condition     = fileexists(var.zip_path)
    error_message = "Deployment package ${var.zip_path} does not exist: run `make build` (or build this function) first."
  }
}

variable "description" {
  description = "Lambda description."
  type        = string
  default     = ""
}

variable "architecture" {
  description = "Instruction set of the bootstrap binary: arm64 (default, cheaper) or x86_64. Must match the ARCH the zip was built with."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "runtime" {
  description = "Lambda runtime. Go binaries run on the OS-only runtime."
  type        = string
  default     = "provided.al2023"
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 128
}

variable "timeout" {
  description = "Timeout in seconds. A queue trigger's visibility timeout is six times this."
  type        = number
  default     = 10
}

variable "environment" {
  description = "Environment variables of the function, merged over the OTEL_* defaults."
  type        = map(string)
  default     = {}
}

variable "otel_environment" {
  description = "OpenTelemetry settings (OTEL_* variables) shared by every function; OTEL_SERVICE_NAME defaults to the function name."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for k in keys(var.otel_environment) : startswith(k, "OTEL_")])
    error_message = "otel_environment holds only OTEL_* variables."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active (sample and trace) or PassThrough."
  type        = string
  default     = "Active"
  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "policy_statements" {
  description = <<-EOT
    Least-privilege IAM statements of the function's own work (the module adds its logs, X-Ray
    and queue statements). Name the resources: a `*` action or resource fails the policy test.
  EOT
  type = list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    # IAM condition block, e.g. { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["chaos#claims"] } }
    condition = optional(map(map(list(string))))
  }))
  default = []
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days."
  type        = number
  default     = 14
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; null leaves the function on the unreserved pool, 0 disables it."
  type        = number
  default     = null
}

variable "function_url" {
  description = "A function URL on the `live` alias; null means none. AWS_IAM auth unless NONE is asked for explicitly."
  type = object({
    auth_type = optional(string, "AWS_IAM")
  })
  default = null
  validation {
    condition     = var.function_url == null || contains(["AWS_IAM", "NONE"], try(var.function_url.auth_type, ""))
    error_message = "function_url.auth_type must be AWS_IAM or NONE."
  }
}

variable "queue" {
  description = <<-EOT
    An SQS trigger: a queue, its dead-letter queue (after max_receives failed deliveries) and an
    event source mapping on the `live` alias that reports partial batch failures. event_types are
    CloudEvent types routed from the bus to the queue by a rule (what the local runtime's bus does
    for a queue trigger with EventTypes). null means none.
  EOT
  type = object({
    batch_size                = optional(number, 10)
    batching_window_seconds   = optional(number, 1)
    max_receives              = optional(number, 3)
    message_retention_seconds = optional(number, 345600)
    dlq_retention_seconds     = optional(number, 1209600)
    max_concurrency           = optional(number)
    event_types               = optional(list(string), [])
  })
  default = null
  validation {
    condition     = var.queue == null || try(var.queue.max_receives >= 1, false)
    error_message = "queue.max_receives must be at least 1."
  }
}

variable "schedules" {
  description = "EventBridge Scheduler schedules invoking the `live` alias, keyed by a short name; expression is rate(...) or cron(...)."
  type = map(object({
    expression = string
    timezone   = optional(string, "UTC")
    input      = optional(string)
    enabled    = optional(bool, true)
  }))
  default = {}
  validation {
    condition     = alltrue([for s in values(var.schedules) : can(regex("^(rate|cron|at)\\(.+\\)$", s.expression))])
    error_message = "Every schedule expression must be rate(...), cron(...) or at(...)."
  }
}

variable "event_bus_name" {
  description = "Name of the EventBridge bus the event_rules listen on."
  type        = string
  default     = "default"
}

variable "event_rules" {
  description = "EventBridge rules on event_bus_name, keyed by a short name, delivering the listed CloudEvent types (the detail-type) to the `live` alias."
  type = map(object({
    detail_types = list(string)
  }))
  default = {}
  validation {
    condition     = alltrue([for r in values(var.event_rules) : length(r.detail_types) > 0])
    error_message = "Every event rule needs at least one detail type."
  }
}

variable "live_version" {
  description = <<-EOT
    Version the `live` alias serves. null (default) points it at the version this apply publishes
    (all traffic moves at once: blue/green). Set it to the current stable version and canary_weight
    above 0 to send only that share of traffic to the new version (canary).
  EOT
  type        = string
  default     = null
}

variable "canary_weight" {
  description = "Share (0 to 1) of the `live` alias traffic routed to the newly published version while live_version is pinned."
  type        = number
  default     = 0
  validation {
    condition     = var.canary_weight >= 0 && var.canary_weight < 1
    error_message = "canary_weight must be in [0, 1)."
  }
}

variable "release_controlled" {
  description = "The `live` alias is moved by release-controller (canary, linear, blue-green releases): Terraform creates it but leaves its version and routing alone afterwards, and live_version/canary_weight do not apply."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
