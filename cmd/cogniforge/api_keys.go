package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

const apiKeysUsage = `usage:
  cogniforge api keys create --client NAME [--class authenticated|premium] [--data-dir DIR] [--json]
  cogniforge api keys list [--data-dir DIR] [--json]
  cogniforge api keys revoke (--id ID | --client NAME) [--data-dir DIR] [--json]

The API key registry every function's identity middleware reads: keys are
stored only as their SHA-256; create prints the key once. The store is the
local runtime's (--data-dir; stop the runtime first, it holds the directory)
or DynamoDB ($COGNIFORGE_TABLE, with AWS_ENDPOINT_URL or on AWS). A revoked
key stops working on a running instance within its lookup cache (30 s).
Exit: 0 ok, 1 the store failed, 2 bad input or no such key.
`

func init() {
	registerAPI("keys", "keys create|list|revoke ...   manage the API keys clients identify with", runAPIKeys)
}

func runAPIKeys(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "api keys", apiKeysUsage, map[string]subcommand{
		"create": apiKeysCreate,
		"list":   apiKeysList,
		"revoke": apiKeysRevoke,
	}, args, stdout, stderr)
}

// keyStore opens the registry in the store the environment names: DynamoDB
// with AWS, else the local runtime's data directory (which must be named:
// keys in a memory store would be lost).
func keyStore(ctx context.Context, cmd, dataDir string, stderr io.Writer) (*apiclient.KeyStore, func() error, int) {
	if dataDir == "" && !wiring.UsesAWS(os.Getenv) {
		fmt.Fprintf(stderr, "cogniforge api keys %s: name the store: --data-dir DIR (a local runtime's), or AWS_ENDPOINT_URL for DynamoDB\n", cmd)
		return nil, nil, 2
	}
	ports, closePorts, err := localPorts(ctx, dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)), printBus{w: io.Discard})
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api keys %s: %v\n", cmd, err)
		return nil, nil, dataDirCode(err)
	}
	return apiclient.NewKeyStore(ports.Store, apiclient.KeyStoreConfig{CacheTTL: -1}), closePorts, 0
}

func apiKeysCreate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api keys create", flag.ContinueOnError)
	client := fs.String("client", "", "the client's name (what rate limits and reports call it)")
	class := fs.String("class", string(apiclient.Authenticated), "authenticated or premium")
	dataDir := fs.String("data-dir", "", "local runtime data directory holding the store")
	asJSON := fs.Bool("json", false, "print JSON: {\"key\": ..., \"record\": {...}}")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *client == "" {
		fmt.Fprint(stderr, "cogniforge api keys create: --client is required\n\n"+apiKeysUsage)
		return 2
	}
	ks, closeStore, code := keyStore(ctx, "create", *dataDir, stderr)
	if ks == nil {
		return code
	}
	defer closeStore()
	key, rec, err := ks.Create(ctx, *client, apiclient.Class(*class))
	if errors.Is(err, apiclient.ErrInvalidClient) {
		fmt.Fprintf(stderr, "cogniforge api keys create: %v\n", err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api keys create: %v\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, map[string]any{"key": key, "record": rec})
	}
	fmt.Fprintf(stdout, "%s\n", key)
	fmt.Fprintf(stderr, "key %s for %s (%s): shown once, only its SHA-256 is stored; send it as %s\n", rec.ID, rec.Client, rec.Class, apiclient.APIKeyHeader)
	return 0
}

func apiKeysList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api keys list", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "local runtime data directory holding the store")
	asJSON := fs.Bool("json", false, "print JSON: {\"keys\": [...]}")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	ks, closeStore, code := keyStore(ctx, "list", *dataDir, stderr)
	if ks == nil {
		return code
	}
	defer closeStore()
	recs, err := ks.List(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge api keys list: %v\n", err)
		return 1
	}
	if *asJSON {
		if recs == nil {
			recs = []apiclient.KeyRecord{}
		}
		return writeJSON(stdout, stderr, map[string]any{"keys": recs})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCLIENT\tCLASS\tCREATED")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Client, r.Class, r.Created.Format(time.RFC3339))
	}
	tw.Flush()
	return 0
}

func apiKeysRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api keys revoke", flag.ContinueOnError)
	id := fs.String("id", "", "the key's ID (from list; a unique prefix will do)")
	client := fs.String("client", "", "revoke every key of this client")
	dataDir := fs.String("data-dir", "", "local runtime data directory holding the store")
	asJSON := fs.Bool("json", false, "print JSON: {\"revoked\": [...]}")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if (*id == "") == (*client == "") {
		fmt.Fprint(stderr, "cogniforge api keys revoke: give --id or --client (one of them)\n\n"+apiKeysUsage)
		return 2
	}
	ks, closeStore, code := keyStore(ctx, "revoke", *dataDir, stderr)
	if ks == nil {
		return code
	}
	defer closeStore()
	recs, err := ks.Revoke(ctx, *id, *client)
	switch {
	case errors.Is(err, apiclient.ErrNoSuchKey), errors.Is(err, apiclient.ErrInvalidClient):
		fmt.Fprintf(stderr, "cogniforge api keys revoke: %v\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "cogniforge api keys revoke: %v\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, map[string]any{"revoked": recs})
	}
	for _, r := range recs {
		fmt.Fprintf(stdout, "revoked %s (%s, %s)\n", r.ID, r.Client, r.Class)
	}
	return 0
}
