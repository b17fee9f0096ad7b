// Package discovery is service discovery for functions without a service
// mesh: a registry of service instances kept in the store, a health
// checker that moves each instance between healthy and unhealthy after N
// probe results in a row, and a client that resolves a service through a
// short cache and balances over the instances that may take traffic.
//
// # Registry
//
// An Instance is a service's endpoint: its URL, a weight, a zone, free
// metadata, an optional health URL and a lease. Register writes it, and
// renews it; Heartbeat renews the lease (DefaultTTL, 90 s, unless the
// registration names another); an instance whose lease runs out stops
// existing, in the store too (its item carries the lease as its expiry), so
// a crashed service disappears without anyone deregistering it. Every
// change is a read and a put conditional on the version read, retried on a
// conflict, so a heartbeat racing a health result or a re-registration
// loses neither; a registration racing another of the same instance ends
// with one record. Registry's methods are safe for concurrent use, from any
// number of processes sharing the store.
//
// The registry lives in the store's "discovery" partition (sort key
// instance/<service>/<id>), one item per instance: it is meant for
// hundreds to a few thousands of instances, and listing reads the
// partition.
//
// AWS Cloud Map was the AWS-native candidate and was not used: it has no
// lease (an instance stays registered until someone deregisters it, and
// its health is either Route 53's checks on public endpoints or a custom
// status the caller must push), no conditional update to build a lease or
// health counters on, and moto (5.2.1), which the tests would run
// against, keeps a second RegisterInstance of the same instance id as a
// second instance (ListInstances and DiscoverInstances both return two
// "i-1") where Cloud Map replaces the first.
//
// # Health
//
// Checker probes every instance that has a health URL with an HTTP GET
// (2xx is a pass; anything else, a timeout or a refused connection is a
// failure). An instance becomes unhealthy after FailThreshold (3)
// consecutive failures and healthy after PassThreshold (2) consecutive
// passes; a new instance is unknown until then, and takes traffic. Each
// transition is recorded in the instance with the counters, and announced
// as dev.cogniforge.discovery.instance.health.changed.v1 at least once: it
// is written as pending with the transition and cleared once published,
// so a failed publish is retried by the next check. A result that changes
// nothing (a healthy instance passing again) is written at most every
// QuietWrite (5 minutes), so a steady fleet costs the store a write per
// instance every 5 minutes rather than every minute.
//
// # Client
//
// Client.Pick resolves a service through a cache (DefaultCacheTTL, 5 s),
// refreshed by the first caller that finds it stale while the others keep
// the stale view, and picks one routable instance (lease live, weight
// above zero, not unhealthy; those of the preferred zone when it has any)
// by round-robin, smooth weighted round-robin, uniform random or least
// outstanding requests; with FailOpen, a service whose every instance is
// unhealthy is still served by them rather than not at all. Pick makes no allocation, no store call and no
// clock read while the cache is fresh (a timer marks a read stale) (Client.Service gives a handle whose Pick skips the
// lookup of the name); the Selection's Done releases the outstanding count.
// Transport does all of it for HTTP: a request to discovery://SERVICE/PATH
// goes to a picked instance, released when the response body is closed.
// A Client is safe for concurrent use.
package discovery
