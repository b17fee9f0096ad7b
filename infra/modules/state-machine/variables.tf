variable "name" {
  description = "State machine name suffix: the machine is <name_prefix>-<name>."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "cogniforge"
}

variable "definition_file" {
  description = "Path of the ASL definition (statemachines/<name>.asl.json); its $${placeholders} are filled from substitutions."
  type        = string
  validation {
    condition     = fileexists(var.definition_file)
    error_message = "State machine definition ${var.definition_file} does not exist."
  }
}

variable "substitutions" {
  description = <<-EOT
    Values of the definition's $${placeholders}, e.g. function_arn_event_gateway. Every placeholder
    must have a value: a definition naming a function that is not deployed fails plan.
    Placeholders named function_arn_* are also what the machine's role may invoke.
  EOT
  type        = map(string)
  default     = {}
  validation {
    condition = length(setsubtract(
      toset(flatten(regexall("\\$\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\}", file(var.definition_file)))),
      keys(var.substitutions),
    )) == 0
    error_message = "State machine ${var.name} (${var.definition_file}) references undefined placeholders ${join(", ", sort(setsubtract(toset(flatten(regexall("\\$\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\}", file(var.definition_file)))), keys(var.substitutions))))}: a function_arn_<name> placeholder needs a deployed function <name> (functions/<name>, wired in infra/functions.tf, dashes written as underscores)."
  }
}

variable "type" {
  description = "STANDARD (durable, exactly-once steps, up to a year) or EXPRESS (at-least-once, up to 5 minutes)."
  type        = string
  default     = "STANDARD"
  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.type)
    error_message = "type must be STANDARD or EXPRESS."
  }
}

variable "log_level" {
  description = "Execution history level sent to CloudWatch Logs: ALL, ERROR, FATAL or OFF."
  type        = string
  default     = "ERROR"
  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "log_retention_days" {
  description = "Retention of the machine's log group, in days."
  type        = number
  default     = 14
}

variable "tracing" {
  description = "X-Ray tracing of executions."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
