package otlphttp

// RetryAfter exposes the Retry-After parser to the tests.
var RetryAfter = retryAfter
