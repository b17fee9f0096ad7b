variable "name_prefix" {
  description = "Prefix of every resource name; use one per stage (cogniforge-dev, cogniforge-prod) to share an account."
  type        = string
  default     = "cogniforge"
}

variable "stage" {
  description = "Deployment stage, reported as deployment.environment in every span."
  type        = string
  default     = "dev"
}

variable "build_dir" {
  description = "Directory holding <function>.zip from `make build`. Default: build/ at the repository root."
  type        = string
  default     = null
}

variable "functions_dir" {
  description = "The repository's functions/ directory, used to warn about functions not wired in functions.tf. Default: functions/ at the repository root."
  type        = string
  default     = null
}

variable "statemachines_dir" {
  description = "Directory of the *.asl.json definitions; every one is deployed. Default: statemachines/ at the repository root."
  type        = string
  default     = null
}

variable "architecture" {
  description = "arm64 or x86_64: the ARCH the zips were built with."
  type        = string
  default     = "arm64"
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 14
}

variable "otel_exporter_otlp_endpoint" {
  description = "OTLP endpoint (e.g. the ADOT collector extension, http://localhost:4318); empty leaves the exporter unset."
  type        = string
  default     = ""
}

variable "live_versions" {
  description = "Per function, the version its `live` alias stays on during a canary; absent means the alias follows each new version."
  type        = map(string)
  default     = {}
}

variable "canary_weights" {
  description = "Per function, the share of traffic (0 to 1) sent to the new version while live_versions pins the alias."
  type        = map(number)
  default     = {}
}

variable "released_functions" {
  description = "Functions whose `live` alias release-controller moves (`cogniforge release start`): applies publish their versions but leave the alias where the last release put it."
  type        = set(string)
  default     = []
}

variable "state_machine_types" {
  description = "Per definition name (file name without .asl.json), STANDARD or EXPRESS; default STANDARD."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}

variable "config_dir" {
  description = "Directory of the users' declarative files (slos/*.yaml, ...), each deployed as an SSM parameter the functions read at cold start. Default: config/ at the repository root."
  type        = string
  default     = null
}

variable "config_ssm_path" {
  description = "SSM Parameter Store path holding the declarative files, one parameter per file at <path>/<kind>/<file name> (COGNIFORGE_CONFIG_SSM_PATH of the functions reading them). Default: /<name_prefix>/config, so stages sharing an account do not overwrite each other's."
  type        = string
  default     = null
  validation {
    # SSM's own rules for a hierarchy, plus no trailing slash so
    # <path>/slos/<file> has no empty level.
    condition = var.config_ssm_path == null || (
      can(regex("^(/[A-Za-z0-9_.-]+)+$", var.config_ssm_path)) &&
      !can(regex("^/(?i:aws|ssm)", var.config_ssm_path))
    )
    error_message = "config_ssm_path must be a path like /cogniforge/config: levels of letters, digits, _ . - each after a /, no trailing /, not under /aws or /ssm."
  }
}
