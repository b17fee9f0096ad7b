package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/cogniforge/cogniforge/pkg/dlq"
	"github.com/cogniforge/cogniforge/pkg/dlq/localdlq"
	"github.com/cogniforge/cogniforge/pkg/dlq/sqsdlq"
	"github.com/cogniforge/cogniforge/pkg/localruntime"
	"github.com/cogniforge/cogniforge/pkg/registry"
)

func init() {
	register("dlq", command{summary: "list, show, retry, redrive and purge a function's dead letters (local or SQS)", run: runDLQ})
}

const dlqUsage = `usage:
  cogniforge dlq list     --function F [--json]
  cogniforge dlq show ID  --function F
  cogniforge dlq retry ID --function F [--force]
  cogniforge dlq redrive  --function F
  cogniforge dlq purge    --function F
each with [--data-dir DIR] (the local runtime's dead letters; default .data)
or --aws [--prefix P] (SQS: queue P-F and its dead letters P-F-dlq; P
defaults to $COGNIFORGE_NAME_PREFIX or cogniforge; AWS_ENDPOINT_URL honoured).

list shows each dead letter's id, event id and type, receive count, first
failure and last error, and whether it is poison (a body that is not a
CloudEvent, or an error no retry cures, such as an invalid event). ID is the
dead letter's id or its event id. retry and redrive put the same event back
(same event id, so consumers deduplicate) with a fresh receive count;
poison messages stay in the dead letters with their reason (redrive skips
them, retry refuses them unless --force). When a runtime holds --data-dir it
does the work; otherwise retried events wait in DIR's queues until
'cogniforge run' starts on it.
Exit 0 ok, 1 no such dead letter / poison refused / some failed, 2 bad input
(unknown function, no queue).
`

func runDLQ(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, dlqUsage)
		return 2
	}
	verb, rest := args[0], args[1:]
	if verb == "-h" || verb == "--help" || verb == "help" {
		io.WriteString(stdout, dlqUsage)
		return 0
	}
	if !slices.Contains([]string{"list", "show", "retry", "redrive", "purge"}, verb) {
		fmt.Fprintf(stderr, "cogniforge dlq: unknown subcommand %q\n\n%s", verb, dlqUsage)
		return 2
	}
	fs := flag.NewFlagSet("dlq "+verb, flag.ContinueOnError)
	fn := fs.String("function", "", "the function whose dead letters to use (required)")
	dataDir := fs.String("data-dir", ".data", "local runtime data directory")
	useAWS := fs.Bool("aws", false, "use the function's SQS dead-letter queue")
	prefix := fs.String("prefix", "", "with --aws: the deployment's name prefix (default $COGNIFORGE_NAME_PREFIX or cogniforge)")
	asJSON := fs.Bool("json", false, "list: print JSON")
	force := fs.Bool("force", false, "retry: retry a poison message too")
	fs.Usage = func() { io.WriteString(stderr, dlqUsage) }
	pos, code, ok := interleaved(fs, rest, stderr)
	if !ok {
		return code
	}
	wantID := verb == "show" || verb == "retry"
	if wantID && len(pos) != 1 || !wantID && len(pos) != 0 {
		fmt.Fprintf(stderr, "cogniforge dlq %s: want %s\n\n%s", verb, map[bool]string{true: "one ID", false: "no arguments"}[wantID], dlqUsage)
		return 2
	}
	if *fn == "" {
		fmt.Fprintf(stderr, "cogniforge dlq %s: --function is required\n", verb)
		return 2
	}
	if !slices.Contains(registry.Names(), *fn) {
		fmt.Fprintf(stderr, "cogniforge dlq %s: --function %q: no such function (functions: %s)\n", verb, *fn, strings.Join(registry.Names(), ", "))
		return 2
	}
	q, closeQ, err := openDLQ(ctx, *fn, *dataDir, *useAWS, *prefix, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge dlq %s: %v\n", verb, err)
		if errors.Is(err, errDLQInput) {
			return 2
		}
		return dataDirCode(err)
	}
	defer func() {
		if err := closeQ(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(stderr, "cogniforge dlq %s: %v\n", verb, err)
		}
	}()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cogniforge dlq %s: %v\n", verb, err)
		return 1
	}
	switch verb {
	case "list":
		ms, err := q.List(ctx)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			if ms == nil {
				ms = []dlq.Message{}
			}
			_ = enc.Encode(map[string]any{"function": *fn, "deadLetters": ms})
			return 0
		}
		printDeadLetters(stdout, ms)
	case "show":
		m, err := dlq.Show(ctx, q, pos[0])
		if err != nil {
			return fail(err)
		}
		enc.SetIndent("", "  ")
		_ = enc.Encode(m)
	case "retry":
		m, err := dlq.Retry(ctx, q, pos[0], *force)
		if err != nil {
			return fail(err)
		}
		_ = enc.Encode(map[string]any{"retried": m.ID, "eventId": m.EventID})
	case "redrive":
		rep, err := dlq.Redrive(ctx, q)
		if err != nil {
			return fail(err)
		}
		_ = enc.Encode(rep)
		for _, p := range rep.Poison {
			fmt.Fprintf(stderr, "cogniforge dlq redrive: %s stays (poison): %s\n", p.ID, p.PoisonReason)
		}
		if len(rep.Failed) > 0 {
			return 1
		}
	case "purge":
		n, err := q.Purge(ctx)
		if err != nil {
			return fail(err)
		}
		_ = enc.Encode(map[string]any{"purged": n})
	}
	return 0
}

func printDeadLetters(w io.Writer, ms []dlq.Message) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEVENT ID\tTYPE\tRECEIVES\tFIRST FAILURE\tERROR")
	for _, m := range ms {
		first := "-"
		if !m.FirstFailure.IsZero() {
			first = m.FirstFailure.Format(time.RFC3339)
		}
		e := m.Error
		if m.ErrorType != "" {
			e = m.ErrorType + ": " + e
		}
		if m.Poison {
			e = "POISON " + m.PoisonReason
		}
		if len(e) > 120 {
			e = e[:117] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.EventID, m.EventType, m.ReceiveCount, first, e)
	}
	tw.Flush()
}

var errDLQInput = errors.New("bad input")

// openDLQ returns the function's dead-letter queue: SQS with useAWS, else
// the local runtime holding dataDir (over HTTP), else dataDir's store.
func openDLQ(ctx context.Context, fn, dataDir string, useAWS bool, prefix string, logger *slog.Logger) (dlq.Queue, func(context.Context) error, error) {
	if useAWS {
		return openSQSDLQ(ctx, fn, prefix)
	}
	rt, _, closePorts, err := offlineRuntime(ctx, dataDir, logger)
	if err != nil {
		base, rerr := runtimeServing(dataDir, err)
		if rerr != nil {
			return nil, nil, rerr
		}
		return localdlq.New(runtimeClient{base: base}, fn), func(context.Context) error { return nil }, nil
	}
	return localdlq.New(rt, fn), func(context.Context) error { return closePorts() }, nil
}

func openSQSDLQ(ctx context.Context, fn, prefix string) (dlq.Queue, func(context.Context) error, error) {
	if prefix == "" {
		prefix = os.Getenv("COGNIFORGE_NAME_PREFIX")
	}
	if prefix == "" {
		prefix = "cogniforge"
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := sqs.NewFromConfig(cfg)
	urlOf := func(name string) (string, error) {
		out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("%w: function %s has no SQS queue %s: %v", errDLQInput, fn, name, err)
		}
		return aws.ToString(out.QueueUrl), nil
	}
	src, err := urlOf(prefix + "-" + fn)
	if err != nil {
		return nil, nil, err
	}
	dl, err := urlOf(prefix + "-" + fn + "-dlq")
	if err != nil {
		return nil, nil, err
	}
	q, err := sqsdlq.New(sqsdlq.Config{Client: client, Function: fn, DLQURL: dl, SourceURL: src})
	if err != nil {
		return nil, nil, err
	}
	return q, q.Close, nil
}

// runtimeClient reaches a running local runtime's dead letters over its
// HTTP API.
type runtimeClient struct{ base string }

func (c runtimeClient) do(ctx context.Context, method, path string, out any) error {
	body, _, status, err := callRaw(ctx, method, c.base+path)
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		return fmt.Errorf("%w: %s", localruntime.ErrNoDeadLetter, strings.TrimSpace(string(body)))
	}
	if status != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

func (c runtimeClient) DeadLetters(ctx context.Context, fn string) ([]localruntime.DeadLetter, error) {
	var out struct {
		DeadLetters []localruntime.DeadLetter `json:"deadLetters"`
	}
	err := c.do(ctx, http.MethodGet, "/functions/"+url.PathEscape(fn)+"/dead-letters", &out)
	return out.DeadLetters, err
}

func (c runtimeClient) RetryDeadLetter(ctx context.Context, fn, id string) error {
	var out map[string]any
	return c.do(ctx, http.MethodPost, "/functions/"+url.PathEscape(fn)+"/dead-letters/"+url.PathEscape(id)+"/retry", &out)
}

func (c runtimeClient) PurgeDeadLetters(ctx context.Context, fn string) (int, error) {
	var out struct {
		Purged int `json:"purged"`
	}
	err := c.do(ctx, http.MethodDelete, "/functions/"+url.PathEscape(fn)+"/dead-letters", &out)
	return out.Purged, err
}
