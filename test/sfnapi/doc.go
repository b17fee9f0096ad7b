// Package sfnapi holds the integration tests of the local Step Functions
// API (pkg/sfnlocal) driven by the real aws CLI, so the wire format is
// checked by botocore's parsers and not only by the Go SDK's. The tests
// fail, naming what to install, when the aws CLI is not on PATH.
package sfnapi
