package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func init() {
	register("infra", command{summary: "write the functions' triggers as the manifest Terraform reads", run: runInfra})
}

const infraUsage = `usage:
  cogniforge infra manifest [-o FILE] [--check]
      write every function's triggers (from its Go declaration) as JSON, the
      file infra/functions.tf reads; stdout without -o. --check compares
      with FILE instead of writing it: exit 1 when it is stale.
`

func runInfra(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "manifest" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, infraUsage)
			return 0
		}
		fmt.Fprint(stderr, infraUsage)
		return 2
	}
	fs := flag.NewFlagSet("infra manifest", flag.ContinueOnError)
	out := fs.String("o", "", "output file (default stdout)")
	check := fs.Bool("check", false, "exit 1 when -o FILE differs from the manifest instead of writing it")
	if code, ok := parseFlags(fs, args[1:], stderr); !ok {
		return code
	}
	if *check && *out == "" {
		fmt.Fprint(stderr, "cogniforge infra manifest: --check needs -o FILE\n\n"+infraUsage)
		return 2
	}
	want, err := infraManifest(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge infra manifest: %v\n", err)
		return 1
	}
	switch {
	case *check:
		have, err := os.ReadFile(*out)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge infra manifest: %v\n", err)
			return 1
		}
		if !bytes.Equal(have, want) {
			fmt.Fprintf(stderr, "cogniforge infra manifest: %s is stale: run `cogniforge infra manifest -o %s`\n", *out, *out)
			return 1
		}
		return 0
	case *out == "":
		_, err = stdout.Write(want)
	default:
		err = os.WriteFile(*out, want, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge infra manifest: %v\n", err)
		return 1
	}
	return 0
}

// infraManifest builds every registered function on throwaway embedded
// ports (a builder only declares; nothing runs) and describes its triggers.
func infraManifest(ctx context.Context) ([]byte, error) {
	// An empty environment: the embedded store in memory, the catalog, and a
	// bus that refuses to publish (nothing is published).
	ports, closePorts, err := wiring.FromEnv(ctx, func(string) string { return "" }, newLogger(io.Discard, 0))
	if err != nil {
		return nil, err
	}
	defer closePorts()
	fns, err := registry.Build(ports)
	if err != nil {
		return nil, err
	}
	m, err := registry.NewManifest(fns)
	if err != nil {
		return nil, err
	}
	return m.JSON()
}
