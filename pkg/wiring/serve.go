package wiring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cogniforge/cogniforge/pkg/telemetry/awstrace"
	"github.com/cogniforge/cogniforge/pkg/telemetry/otelsetup"

	"github.com/cogniforge/cogniforge/pkg/faas/adapter"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/cogniforge/cogniforge/pkg/telemetry"
)

// Serve is a function binary's whole life: telemetry from the OTEL_*
// variables, ports from the environment, the function from build, then
// wiring.Start on the platform the environment names (Lambda, Functions
// Framework or CloudEvents HTTP), with the standard middleware and
// validation against the catalog. It returns when ctx ends or start fails;
// main reports the error and exits.
func Serve(ctx context.Context, name string, build Builder, opts ...adapter.Option) (err error) {
	logger := telemetry.NewLogger(os.Stderr, name, nil)
	tel, err := otelsetup.Setup(ctx, otelsetup.Config{ServiceName: name})
	if err != nil {
		return fmt.Errorf("%s: telemetry: %w", name, err)
	}
	defer func() { err = errors.Join(err, tel.Shutdown(context.Background())) }()
	ports, closePorts, err := FromEnv(ctx, nil, logger, WithAWSConfig(func(cfg *aws.Config) {
		awstrace.InstrumentAWS(cfg, tel.TracerProvider())
	}))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer func() { err = errors.Join(err, closePorts()) }()
	fn, err := build(ports)
	if err != nil {
		return fmt.Errorf("%s: build: %w", name, err)
	}
	fn = Instrument(ports, fn)
	httpOpts, err := HTTPOptions(ports, fn)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	all := append([]adapter.Option{
		adapter.WithLogger(logger),
		adapter.WithTracerProvider(tel.TracerProvider()),
		adapter.WithFlusher(tel),
		adapter.WithValidator(ports.Catalog),
	}, append(httpOpts, opts...)...)
	if err := Start(ctx, fn, all...); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Main is what a function binary's main does: Serve until SIGINT or
// SIGTERM, then report any error on stderr. It returns the process exit
// code for main to pass to os.Exit (library code never exits itself):
//
//	func main() { os.Exit(wiring.Main(gatewayfn.Name, gatewayfn.Build)) }
func Main(name string, build Builder, opts ...adapter.Option) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Serve(ctx, name, build, opts...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
