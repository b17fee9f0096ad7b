// Package notify delivers incident notifications to people over real
// channels: Slack incoming webhooks (Block Kit), the PagerDuty Events API v2,
// a generic webhook signed with HMAC-SHA256, and Amazon SNS (SMS and e-mail
// subscribers). It is the last hop of an escalation: the incident core
// decides who is paged and when, notify makes sure the page arrives once.
//
// # Channels
//
// A Channel sends one Message and says, through its error, whether trying
// again can help (see Error, Retryable): an HTTP 4xx other than 408 and 429
// is a permanent refusal, 429 is retried after its Retry-After, 408, 5xx and
// network errors are retried with backoff. Errors never carry a channel's
// URL or secret: a Slack webhook URL is itself a credential.
//
// # Delivery guarantees
//
// A Notifier wraps every send in three guards:
//
//   - Retries with exponential backoff and full jitter (a delay drawn
//     uniformly between zero and the exponential cap), bounded by the
//     context, Config.MaxElapsed and Config.MaxAttempts; each attempt has
//     its own timeout (Config.AttemptTimeout).
//   - A circuit breaker per channel name: after Config.BreakerFailures
//     consecutive failed attempts the channel is skipped for
//     Config.BreakerOpenFor, and a delivery fails at once with
//     ErrCircuitOpen (named Notify.CircuitOpen), so an escalation moves on to
//     its next level instead of waiting on a dead endpoint. With
//     Config.Breakers the breaker is pkg/resilience's, shared through the
//     store (the incident functions use notify.<channel> downstreams): one
//     instance's failures open it for all, and operators and chaos
//     experiments see and force it. Without, it is per Notifier, that is
//     per function instance: it still spares the instance the waits.
//   - Idempotency through the store: a delivery whose (channel, Key) was
//     already delivered is skipped (StatusDuplicate). Before sending, a
//     lease item is written with a conditional put (IfAbsent, expiring after
//     Config.LeaseFor), so two concurrent deliveries of one key never both
//     send: the loser gets ErrInProgress. After a successful send a
//     delivered marker is written (IfAbsent, kept for Config.MarkerTTL) and
//     the lease is released.
//
// Delivery is at least once, not exactly once. The window is between the
// channel accepting the message and the marker being written: if the
// process dies there (or the store write fails), the lease expires after
// Config.LeaseFor and a redelivery sends again. Channels that deduplicate
// on their own narrow it further: PagerDuty by dedup_key, SNS FIFO topics by
// MessageDeduplicationId, webhook receivers by the X-Cogniforge-Idempotency-Key
// header.
//
// Every outcome (delivered, failed with its attempts and last error,
// duplicate, in progress, circuit open, invalid) is passed to
// Config.Outcome, which the incident core uses to write the timeline.
//
// # Signed webhooks
//
// A webhook request carries
//
//	X-Cogniforge-Timestamp: <unix seconds>
//	X-Cogniforge-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//
// and X-Cogniforge-Idempotency-Key: <Message.Key>; the body is the Message
// as JSON:
//
//	{"key": "INC-42/1/alice/hook/trigger", "action": "trigger",
//	 "incidentId": "INC-42", "title": "...", "service": "checkout",
//	 "severity": "SEV1", "summary": "...", "url": "https://...",
//	 "dedupKey": "...", "target": "alice", "time": "2026-03-29T01:30:00Z",
//	 "details": {"slo": "checkout-availability"}}
//
// (empty fields omitted). Receivers check the headers with Verify, which rejects a timestamp outside
// the tolerance (a replayed request) and compares in constant time. The
// signature header may list several comma-separated v1= values so a
// secret can be rotated without downtime.
//
// # Configuration
//
// Users describe channels in YAML (config/oncall/channels.yaml):
//
//	channels:
//	  - {name: ops-slack, type: slack, url: "https://hooks.slack.com/services/..."}
//	  - {name: pager, type: pagerduty, routingKeyEnv: PD_ROUTING_KEY}
//	  - {name: hook, type: webhook, url: "https://example.com/hook", secretEnv: HOOK_SECRET}
//	  - {name: sms, type: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:oncall"}
//
// ParseChannels checks the file and Build turns one entry into a Channel.
// Secrets (webhook secrets, routing keys, Slack URLs) are masked whenever a
// ChannelConfig is printed or logged.
//
// The package links no cloud SDK: SNS is reached through the SNSPublisher
// interface, which pkg/notify/snsnotify implements with the AWS SDK for the
// wiring to pass in.
//
// Channels and Notifiers are safe for concurrent use.
package notify
