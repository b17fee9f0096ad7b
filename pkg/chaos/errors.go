package chaos

// Error names of injected failures, what an ASL Catch or Retry matches. A
// timeout fault fails with faas.ErrTimeout, like a real timeout.
const (
	// ErrInjected is the default name of an error fault.
	ErrInjected = "Chaos.InjectedError"
	// ErrInjectedStatus names the error a status fault answers with; the
	// HTTP adapters answer its Status.
	ErrInjectedStatus = "Chaos.InjectedStatus"
	// ErrUnavailable: an outgoing call denied as service unavailable.
	ErrUnavailable = "Chaos.ServiceUnavailable"
	// ErrPartition: an outgoing call denied as a network partition.
	ErrPartition = "Chaos.NetworkPartition"
)
