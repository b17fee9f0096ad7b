# Event streams (issue 15): every event on the bus is archived in the
# EventBridge archive of its stream, <name_prefix>-<stream>, kept for the
# stream's retention, and replayed with `cogniforge events replay --aws`
# (EventBridge StartReplay onto the same bus, optionally to one function's
# queue rule). The streams come from config/streams/streams.yaml, the file
# the local runtime reads: the first stream whose types match an event type
# takes it (an exact type, or a prefix ending in *), the default stream the
# rest. To keep that "first match" here, each archive's pattern lists the
# catalog types (events/schemas) its stream takes; the default stream's
# archive takes every type the others do not ("anything-but"), including
# types the catalog does not know yet. Retention in the file is whole days
# ("7d") or hours ("36h", rounded up to days, EventBridge's unit).

variable "streams_config_file" {
  description = "The streams definition (config/streams/streams.yaml); default the one beside functions_dir (the repository's). Missing: api 7 days, security 30 days, system 14 days."
  type        = string
  default     = null
}

variable "event_schemas_dir" {
  description = "The event catalog's schemas (events/schemas), whose types the archives' patterns list; default the one beside functions_dir (the repository's)."
  type        = string
  default     = null
}

locals {
  # The repository the functions come from (infra/ may be a copy elsewhere).
  source_root         = dirname(local.functions_dir)
  streams_config_file = coalesce(var.streams_config_file, "${local.source_root}/config/streams/streams.yaml")
  event_schemas_dir   = coalesce(var.event_schemas_dir, "${local.source_root}/events/schemas")
  streams_config = fileexists(local.streams_config_file) ? yamldecode(file(local.streams_config_file)) : {
    default = "system"
    streams = [
      { name = "api", retention = "7d", types = ["dev.cogniforge.request.*", "dev.cogniforge.gateway.*", "dev.cogniforge.slo.query.*", "dev.cogniforge.incident.request.*"] },
      { name = "security", retention = "30d", types = ["dev.cogniforge.secret.*", "dev.cogniforge.audit.*"] },
      { name = "system", retention = "14d", types = ["dev.cogniforge.*"] },
    ]
  }
  stream_default = try(local.streams_config.default, "system")
  stream_names   = [for s in local.streams_config.streams : s.name]

  catalog_types = sort([for f in fileset(local.event_schemas_dir, "*.json") : trimsuffix(f, ".json")])

  # The stream of each catalog type: the first whose patterns match.
  type_stream = {
    for t in local.catalog_types : t => try([
      for s in local.streams_config.streams : s.name
      if anytrue([for p in try(s.types, []) : endswith(p, "*") ? startswith(t, trimsuffix(p, "*")) : p == t])
    ][0], local.stream_default)
  }
  stream_types = { for s in local.stream_names : s => sort([for t, st in local.type_stream : t if st == s]) }
  claimed      = sort([for t, st in local.type_stream : t if st != local.stream_default])

  stream_retention_days = {
    for s in local.streams_config.streams : s.name => (
      endswith(s.retention, "d") ? tonumber(trimsuffix(s.retention, "d")) :
      endswith(s.retention, "h") ? ceil(tonumber(trimsuffix(s.retention, "h")) / 24) :
      null
    )
  }
}

resource "aws_cloudwatch_event_archive" "stream" {
  for_each = toset(local.stream_names)

  name             = "${var.name_prefix}-${each.key}"
  description      = "CogniForge stream ${each.key}: ${local.stream_retention_days[each.key]} days"
  event_source_arn = module.bus.arn
  retention_days   = local.stream_retention_days[each.key]
  event_pattern = (
    each.key == local.stream_default ?
    jsonencode({ "detail-type" = [{ "anything-but" = length(local.claimed) > 0 ? local.claimed : ["-"] }] }) :
    jsonencode({ "detail-type" = length(local.stream_types[each.key]) > 0 ? local.stream_types[each.key] : ["${each.key}.no-type-yet"] })
  )

  lifecycle {
    precondition {
      condition     = local.stream_retention_days[each.key] != null && local.stream_retention_days[each.key] > 0
      error_message = "${local.streams_config_file}: stream ${each.key}'s retention must be whole days (7d) or hours (36h) for EventBridge."
    }
    precondition {
      condition     = contains(local.stream_names, local.stream_default)
      error_message = "${local.streams_config_file}: the default stream ${local.stream_default} is not defined."
    }
  }
}

# What an operator (or a CI role) needs to run `cogniforge events replay
# --aws`: read the archives and the queue rules a replay may target, start,
# follow and cancel replays. Attach it to the operators' role; the replay
# itself needs no role (EventBridge puts the events back on the same bus).
data "aws_iam_policy_document" "streams_replay" {
  statement {
    sid       = "ReadArchives"
    actions   = ["events:DescribeArchive"]
    resources = [for a in aws_cloudwatch_event_archive.stream : a.arn]
  }
  statement {
    sid       = "ReadQueueRules"
    actions   = ["events:DescribeRule"]
    resources = ["arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:rule/${module.bus.name}/${var.name_prefix}-*"]
  }
  statement {
    sid     = "Replay"
    actions = ["events:StartReplay", "events:DescribeReplay", "events:CancelReplay"]
    resources = concat(
      [for a in aws_cloudwatch_event_archive.stream : a.arn],
      ["arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:replay/*"],
    )
  }
}

resource "aws_iam_policy" "streams_replay" {
  name        = "${var.name_prefix}-streams-replay"
  description = "Replay CogniForge's event stream archives (cogniforge events replay --aws)."
  policy      = data.aws_iam_policy_document.streams_replay.json
  tags        = local.tags
}

output "stream_archives" {
  description = "EventBridge archive ARN by stream."
  value       = { for k, a in aws_cloudwatch_event_archive.stream : k => a.arn }
}

output "streams_replay_policy_arn" {
  description = "IAM policy to attach to whoever runs `cogniforge events replay --aws`."
  value       = aws_iam_policy.streams_replay.arn
}
