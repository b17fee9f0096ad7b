package main

import (
	"context"
	"io"
	"log/slog"
	"sync"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
)

// localTasks runs the Task states of `sfn run` against the real functions,
// built on first use so a definition without Task states starts as fast
// as the engine alone. State lives in a bolt store in dataDir, or in memory
// for this one run.
type localTasks struct {
	ctx     context.Context
	dataDir string
	stderr  io.Writer

	once     sync.Once
	inv      *sfnlocal.Invoker
	err      error
	closeFns []func() error
}

var _ asl.TaskInvoker = (*localTasks)(nil)

func newLocalTasks(ctx context.Context, dataDir string, stderr io.Writer) *localTasks {
	return &localTasks{ctx: ctx, dataDir: dataDir, stderr: stderr}
}

func (t *localTasks) build() {
	logger := newLogger(t.stderr, slog.LevelWarn)
	ports, closePorts, err := localPorts(t.ctx, t.dataDir, logger, printBus{w: t.stderr})
	if err != nil {
		t.err = err
		return
	}
	t.closeFns = append(t.closeFns, closePorts)
	fns, err := registry.Build(ports)
	if err != nil {
		t.err = err
		return
	}
	t.inv, t.err = sfnlocal.NewInvoker(sfnlocal.InvokerConfig{Functions: fns, Options: adapterOptions(ports), Bus: ports.Bus})
}

// Open builds the functions now (they are otherwise built on the first
// Task) and reports why that failed.
func (t *localTasks) Open() error {
	t.once.Do(t.build)
	return t.err
}

// Invoke builds the functions once, then runs the task.
func (t *localTasks) Invoke(ctx context.Context, req asl.TaskRequest) (any, error) {
	t.once.Do(t.build)
	if t.err != nil {
		return nil, asl.NewError("States.Runtime", "local functions unavailable: "+t.err.Error())
	}
	return t.inv.Invoke(ctx, req)
}

// FunctionName resolves ARNs, deployed names and Terraform placeholders to
// registry names without building anything.
func (t *localTasks) FunctionName(arnOrName string) string {
	return sfnlocal.ResolveFunctionName(arnOrName, sfnlocal.DefaultFunctionPrefix, func(n string) bool {
		_, err := registry.Lookup(n)
		return err == nil
	})
}

// Close releases the store.
func (t *localTasks) Close() {
	for _, f := range t.closeFns {
		_ = f()
	}
}
