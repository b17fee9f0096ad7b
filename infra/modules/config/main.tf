variable "dir" {
  description = "Directory holding the files of this kind (config/<kind>): every *.yaml and *.yml in it, not below, is deployed."
  type        = string
}

variable "kind" {
  description = "Kind of configuration (slos, ...): the directory's name under config/ and the level under path."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*$", var.kind))
    error_message = "kind must be lower-case letters, digits and dashes, like the config/<kind> directory."
  }
}

variable "path" {
  description = "SSM path of all declarative files (COGNIFORGE_CONFIG_SSM_PATH); this kind's are at <path>/<kind>/<file name>."
  type        = string
}

variable "tags" {
  description = "Tags on every parameter."
  type        = map(string)
  default     = {}
}

# One kind of the users' declarative files, one SSM parameter per file, laid
# out as pkg/wiring's SSMConfig reads them (GetParametersByPath on
# <path>/<kind>) and named after the file, so a file means the same in AWS
# as in config/<kind> locally and errors name it.
locals {
  # A parameter's size is its value's bytes (file() counts characters),
  # recovered from the base64 length.
  files = {
    for f in fileset(var.dir, "*.{yaml,yml}") : f => {
      value = file("${var.dir}/${f}")
      bytes = length(filebase64("${var.dir}/${f}")) / 4 * 3 - length(regexall("=", filebase64("${var.dir}/${f}")))
    }
  }
}

resource "aws_ssm_parameter" "this" {
  for_each    = local.files
  name        = "${var.path}/${var.kind}/${each.key}"
  description = "${var.kind}/${each.key} of the declarative configuration."
  type        = "String"
  # Not secret, so the plan shows what changes in a file.
  insecure_value = each.value.value
  # Standard parameters hold 4 KB and cost nothing; Advanced ones hold 8 KB
  # and are billed per parameter and month, so only a large file gets one.
  # (Going back to Standard replaces the parameter.)
  tier = each.value.bytes > 4096 ? "Advanced" : "Standard"
  tags = var.tags

  lifecycle {
    precondition {
      condition     = each.value.bytes > 0 && each.value.bytes <= 8192
      error_message = "${var.dir}/${each.key} has ${each.value.bytes} bytes: an SSM parameter holds 1 to 8192 (Advanced tier); split it into several files."
    }
  }
}

output "path" {
  description = "SSM path of this kind's parameters (<path>/<kind>): what its readers call GetParametersByPath on."
  value       = "${var.path}/${var.kind}"
}

output "parameters" {
  description = "Parameter name by file name."
  value       = { for k, p in aws_ssm_parameter.this : k => p.name }
}

output "digest" {
  description = "Hash of every parameter's name and value, known at plan: changes whenever a file does, and depends on the parameters."
  value       = sha256(jsonencode({ for k, p in aws_ssm_parameter.this : p.name => p.insecure_value }))
}
