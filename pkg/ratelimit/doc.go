// Package ratelimit enforces rate-limit policies per client class
// (apiclient.Anonymous, Authenticated, Premium) and per API (the catalog's
// API name, or "*" for a class's default): a steady rate (requests per
// second or per minute), a burst, and a daily quota that resets at UTC
// midnight. Policies come from the users' declarative files
// (config/ratelimits/*.yaml; Parse names the file and field of every bad
// policy).
//
// # Shared state, leased
//
// A client's limit is shared by every instance through the store: one item
// per client and API holds the GCRA theoretical arrival time (TAT) and the
// day's quota count, and is only ever replaced with a conditional write
// (IfVersion, or IfAbsent for the first). An instance does not write per
// request: it leases a slice of the client's limit, L requests at once
// (LeaseSize: round(rate × Config.LeaseInterval), at least 1, at most
// ceil(burst/2)), by moving the TAT L emission intervals ahead and adding L
// to the day's count in one conditional write, then spends the lease in
// process. A lease is granted only whole (L, or what is left of the daily
// quota): when the shared limit has fewer, the instance learns when it will
// have them and refuses the client without the store until then. So a
// client costs at most one store write per lease, that is per refill
// interval L/rate (LeaseInterval at rates above 1/LeaseInterval), however
// many requests it sends and however many are refused.
//
// The fast path, taken by every request that finds leased requests in the
// process or a refusal already known, is the in-process limiter
// (golang.org/x/time/rate at the policy's rate and burst: what one instance
// may never exceed, whatever the shared state says) and a counter, under
// one mutex per client: well under a microsecond (BenchmarkAllowFastPath).
//
// # Tolerance
//
// Requests are only allowed against leases, and leases only against the
// shared GCRA, so over any window W the requests allowed by N instances
// stay within burst + rate × W plus what the instances held, leased but
// unspent, when the window opened: at most N × L more than the limit.
// Leases still held when the window closes are requests the client was
// entitled to and did not get inside it: at most N × L fewer. The tolerance
// is thus ±N × L requests per window (e.g. 2 instances, 50/s, burst 100,
// 250 ms leases: L = 13, ±26 requests in any window; over 10 s, whose
// limit is 600, ±4.3 %). The daily quota counts leased requests, so a client may be
// refused up to N × L requests before its quota is really spent, never
// allowed more than the quota.
//
// # Failure
//
// A lease that loses the race on the store item (another instance leased
// in between) re-reads and retries, at most Config.MaxRaceRetries times;
// then the request is refused (fail closed, ErrContention in the
// Decision): the client is busy on other instances and Retry-After is one
// emission interval. A store failure (an error other than a failed
// condition) fails open: the client is limited by the in-process limiter
// alone for Config.StoreBackoff, then the store is tried again. One
// instance still never exceeds the policy; N instances may allow up to N
// times it while the store is down. A store outage does not take the API
// down, and the Decision carries the error so the middleware logs it.
//
// # HTTP
//
// Middleware answers a refused request 429 with a problem+json body and
// Retry-After (seconds), and puts the IETF draft headers
// (draft-ietf-httpapi-ratelimit-headers) on every response of a limited
// client: RateLimit-Policy (`"premium/orders";q=100;w=1` for the rate,
// `"premium/orders/day";q=100000;w=86400` for the quota) and RateLimit
// (`"premium/orders";r=42;t=1`, remaining requests and seconds until the
// burst is whole again or, when refused, until the retry).
//
// A Limiter is safe for concurrent use and starts no goroutines.
package ratelimit
