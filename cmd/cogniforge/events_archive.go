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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/registry"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/streams"
	"github.com/cogniforge/cogniforge/pkg/streams/ebstreams"
)

const eventsQueryUsage = `usage:
  cogniforge events query [--data-dir DIR] [--stream S] [--type T] [--subject S] [--correlation-id ID]
                          [--from T1] [--to T2] [--config DIR]

Prints the archived events that match as structured CloudEvents, one JSON
object a line (NDJSON), oldest first (the time the bus accepted them, then
publish order), exactly as they were published. --stream and --type may be
repeated; --from is inclusive, --to exclusive; times are RFC 3339, a date
(2026-01-02, UTC) or an age (2h, 3d: that long ago). --data-dir defaults to
.data (make run's); when a runtime holds it, the runtime answers. Corrupt
archived records are skipped and reported on stderr.
Exit 0 ok, 1 the archive could not be read, 2 bad input (unknown stream or
type, unreadable or inverted times, a directory holding no store).
`

const eventsReplayUsage = `usage:
  cogniforge events replay (--stream S | --type T) [--from T1] [--to T2]
                           [--to-function F | --to-bus] [--dry-run] [--id ID] [--json] [--data-dir DIR]
  cogniforge events replay --aws --stream S --from T1 --to T2 [--to-function F | --to-bus] [--prefix P] [--id ID]

Re-delivers the archived events that match, in their original order, each
with its own id and data plus the extensions replayed=true and
replayid=ID: to the bus (default: every function subscribed to the type) or
to one function's queue. Consumers using pkg/idempotency do nothing twice.
When a runtime holds --data-dir it delivers at once; otherwise the events
wait in the queues of DIR until 'cogniforge run' starts on it. --dry-run
only counts. Prints the report (replayId, selected, delivered, failed,
corrupt records skipped). --aws starts an EventBridge replay of the
stream's archive PREFIX-S (AWS_ENDPOINT_URL is honoured; --to-function F
replays to F's queue rule only) and waits for it; EventBridge marks the
replayed events with replay-name in their envelope.
Exit 0 all delivered, 1 some failed, 2 bad input (unknown stream, type or
function, inverted range).
`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// archiveFlags are the filter flags query and replay share.
type archiveFlags struct {
	dataDir, configDir                 string
	stream, typ                        multiFlag
	subject, correlation, from, to, id string
	toFunction                         string
	toBus, dryRun, asJSON, aws         bool
	prefix                             string
}

func (a *archiveFlags) register(fs *flag.FlagSet, replay bool) {
	fs.StringVar(&a.dataDir, "data-dir", ".data", "local runtime data directory holding the archive")
	fs.StringVar(&a.configDir, "config", "", "configuration directory whose streams/streams.yaml defines the streams (default ./config)")
	fs.Var(&a.stream, "stream", "stream to read (repeatable)")
	fs.Var(&a.typ, "type", "event type (repeatable)")
	fs.StringVar(&a.from, "from", "", "inclusive start: RFC 3339, a date, or an age (2h)")
	fs.StringVar(&a.to, "to", "", "exclusive end: RFC 3339, a date, or an age (default now)")
	if !replay {
		fs.StringVar(&a.subject, "subject", "", "CloudEvents subject")
		fs.StringVar(&a.correlation, "correlation-id", "", "correlationid extension")
		return
	}
	fs.StringVar(&a.toFunction, "to-function", "", "deliver to this function's queue only")
	fs.BoolVar(&a.toBus, "to-bus", false, "deliver on the bus (the default)")
	fs.BoolVar(&a.dryRun, "dry-run", false, "count what would be replayed, deliver nothing")
	fs.StringVar(&a.id, "id", "", "replay id (the replayid extension); default replay-<uuid>")
	fs.BoolVar(&a.asJSON, "json", false, "print the report as one JSON object (the default too)")
	fs.BoolVar(&a.aws, "aws", false, "start an EventBridge replay of the stream's archive")
	fs.StringVar(&a.prefix, "prefix", "", "with --aws: the deployment's name prefix; the stream S is the archive PREFIX-S (default $COGNIFORGE_NAME_PREFIX or cogniforge)")
}

func (a *archiveFlags) values() url.Values {
	v := url.Values{}
	v[qStream] = a.stream
	v[qType] = a.typ
	for k, s := range map[string]string{qSubject: a.subject, qCorrelation: a.correlation, qFrom: a.from, qTo: a.to,
		qToFunction: a.toFunction, qReplayID: a.id} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if a.toBus {
		v.Set(qToBus, "true")
	}
	if a.dryRun {
		v.Set(qDryRun, "true")
	}
	return v
}

// runtimeServing returns the base URL of the runtime holding dataDir, or
// "" when the directory is not locked.
func runtimeServing(dataDir string, openErr error) (string, error) {
	if !errors.Is(openErr, bolt.ErrLocked) {
		return "", openErr
	}
	addr, err := os.ReadFile(filepath.Join(dataDir, RuntimeAddrFile))
	if err != nil {
		return "", fmt.Errorf("%w, and no runtime address in it (%v)", openErr, err)
	}
	return "http://" + strings.TrimSpace(string(addr)), nil
}

func eventsQuery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("events query", flag.ContinueOnError)
	var a archiveFlags
	a.register(fs, false)
	fs.Usage = func() { io.WriteString(stderr, eventsQueryUsage) }
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		if code == 0 {
			return 0
		}
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge events query: unexpected argument %q\n\n%s", pos[0], eventsQueryUsage)
		return 2
	}
	svc, closeSvc, err := offlineEvents(ctx, a.dataDir, a.configDir, false, newLogger(stderr, slog.LevelWarn))
	var corrupt []string
	if err != nil {
		base, rerr := runtimeServing(a.dataDir, err)
		if rerr != nil {
			return eventsFail(stderr, "query", rerr)
		}
		body, hdr, status, cerr := callRaw(ctx, http.MethodGet, base+"/streams/events?"+a.values().Encode())
		if cerr != nil {
			return eventsFail(stderr, "query", cerr)
		}
		if status != http.StatusOK {
			return problemExit(stderr, "query", body, status)
		}
		stdout.Write(body)
		if n, _ := strconv.Atoi(hdr.Get(hdrCorrupt)); n > 0 {
			corrupt = strings.Split(hdr.Get(hdrCorruptKeys), ",")
		}
	} else {
		defer closeSvc()
		cs, err := svc.query(ctx, a.values(), stdout)
		if err != nil {
			return eventsFail(stderr, "query", err)
		}
		for _, c := range cs {
			corrupt = append(corrupt, c.Key.Partition+"/"+c.Key.Sort+" ("+c.Error+")")
		}
	}
	if len(corrupt) > 0 {
		fmt.Fprintf(stderr, "cogniforge events query: skipped %d corrupt archived records: %s\n", len(corrupt), strings.Join(corrupt, "; "))
	}
	return 0
}

func eventsReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("events replay", flag.ContinueOnError)
	var a archiveFlags
	a.register(fs, true)
	fs.Usage = func() { io.WriteString(stderr, eventsReplayUsage) }
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge events replay: unexpected argument %q\n\n%s", pos[0], eventsReplayUsage)
		return 2
	}
	if len(a.stream) == 0 && len(a.typ) == 0 {
		fmt.Fprintf(stderr, "cogniforge events replay: give --stream S or --type T\n\n%s", eventsReplayUsage)
		return 2
	}
	if a.aws {
		return eventsReplayAWS(ctx, &a, stdout, stderr)
	}
	var rep streams.ReplayReport
	svc, closeSvc, err := offlineEvents(ctx, a.dataDir, a.configDir, true, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		base, rerr := runtimeServing(a.dataDir, err)
		if rerr != nil {
			return eventsFail(stderr, "replay", rerr)
		}
		body, _, status, cerr := callRaw(ctx, http.MethodPost, base+"/streams/replay?"+a.values().Encode())
		if cerr != nil {
			return eventsFail(stderr, "replay", cerr)
		}
		if status != http.StatusOK {
			return problemExit(stderr, "replay", body, status)
		}
		if err := json.Unmarshal(body, &rep); err != nil {
			return eventsFail(stderr, "replay", fmt.Errorf("the runtime's answer: %w", err))
		}
	} else {
		defer closeSvc()
		rep, err = svc.replay(ctx, a.values())
		if err != nil {
			return eventsFail(stderr, "replay", err)
		}
	}
	return printReplay(stdout, stderr, rep)
}

func printReplay(stdout, stderr io.Writer, rep streams.ReplayReport) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rep)
	if len(rep.Corrupt) > 0 {
		fmt.Fprintf(stderr, "cogniforge events replay: skipped %d corrupt archived records\n", len(rep.Corrupt))
	}
	if rep.Failed > 0 {
		return 1
	}
	return 0
}

// eventsFail prints err and returns its exit code: 2 for bad input and
// unusable data directories, else 1.
func eventsFail(stderr io.Writer, verb string, err error) int {
	fmt.Fprintf(stderr, "cogniforge events %s: %v\n", verb, strings.TrimPrefix(err.Error(), errStreamsInput.Error()+": "))
	if errors.Is(err, errStreamsInput) {
		return 2
	}
	return dataDirCode(err)
}

// problemExit prints a runtime's problem answer: 400 is bad input (exit 2).
func problemExit(stderr io.Writer, verb string, body []byte, status int) int {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) != nil || p.Detail == "" {
		p.Detail = strings.TrimSpace(string(body))
	}
	fmt.Fprintf(stderr, "cogniforge events %s: %s\n", verb, p.Detail)
	if status == http.StatusBadRequest {
		return 2
	}
	return 1
}

// callRaw sends a request without a body and returns the answer.
func callRaw(ctx context.Context, method, u string) ([]byte, http.Header, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header, resp.StatusCode, err
}

func eventsReplayAWS(ctx context.Context, a *archiveFlags, stdout, stderr io.Writer) int {
	bad := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "cogniforge events replay --aws: "+format+"\n", args...)
		return 2
	}
	switch {
	case len(a.stream) != 1:
		return bad("give exactly one --stream (an EventBridge replay reads one archive)")
	case len(a.typ) > 0:
		return bad("--type is not supported: EventBridge replays a whole archive; give --stream")
	case a.from == "" || a.to == "":
		return bad("--from and --to are required")
	case a.dryRun:
		return bad("--dry-run is not supported with --aws")
	case a.toFunction != "" && a.toBus:
		return bad("--to-function and --to-bus exclude each other")
	}
	now := time.Now()
	from, err := streams.ParseTime(a.from, now)
	if err != nil {
		return bad("--from %v", err)
	}
	to, err := streams.ParseTime(a.to, now)
	if err != nil {
		return bad("--to %v", err)
	}
	prefix := a.prefix
	if prefix == "" {
		prefix = os.Getenv("COGNIFORGE_NAME_PREFIX")
	}
	var rules []string
	if a.toFunction != "" {
		if !slices.Contains(registry.Names(), a.toFunction) {
			return bad("--to-function %q: no such function", a.toFunction)
		}
		if prefix == "" {
			rules = []string{"cogniforge-" + a.toFunction + "-queue"}
		} else {
			rules = []string{prefix + "-" + a.toFunction + "-queue"}
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return eventsFail(stderr, "replay", fmt.Errorf("AWS configuration: %w", err))
	}
	r, err := ebstreams.New(ebstreams.Config{Client: awseb.NewFromConfig(cfg), Prefix: prefix})
	if err != nil {
		return eventsFail(stderr, "replay", err)
	}
	name := a.id
	if name == "" {
		name = "replay-" + uuid.NewString()
	}
	res, err := r.Replay(ctx, ebstreams.Request{Name: name, Stream: a.stream[0], From: from, To: to, Rules: rules})
	if err != nil {
		if errors.Is(err, streams.ErrUnknownStream) || errors.Is(err, streams.ErrInvertedRange) || errors.Is(err, ebstreams.ErrUnknownRule) {
			return bad("%v", err)
		}
		return eventsFail(stderr, "replay", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(res)
	if res.State != "COMPLETED" {
		return 1
	}
	return 0
}
