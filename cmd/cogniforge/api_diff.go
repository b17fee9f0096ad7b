package main

import (
	"bytes"
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
	"strconv"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/api"
	"github.com/cogniforge/cogniforge/pkg/apicatalog"
	"github.com/cogniforge/cogniforge/pkg/apidiff"
	"github.com/cogniforge/cogniforge/pkg/events"
)

const apiDiffSynopsis = "diff [--format text|json] [--days N] [--data-dir DIR] [--traffic FILE] [--api NAME] OLD NEW"

const apiDiffUsage = `usage:
  cogniforge api ` + apiDiffSynopsis + `

Compares two versions of an OpenAPI 3.0/3.1 document (oasdiff's checks) and
prints the breaking changes and the rest of the changelog. With --traffic
(captured events, one CloudEvent a line, as 'cogniforge events query'
prints them) or --data-dir (a local runtime's event archive), each breaking
change names the callers that used its operation in the last --days days,
from dev.cogniforge.request.completed.v1 events of the API --api (default:
the catalog API whose spec file has NEW's or OLD's name).

--format json prints {"breaking": [{"id", "operation", "message", "level",
"callers"?}], "nonBreaking": [...]}; callers appear when traffic was read.
Exit 0 nothing breaking, 1 something breaking, 2 bad input (a file that
cannot be read, is not OpenAPI, has an unresolved $ref; unreadable traffic).
`

func init() { registerAPI("diff", apiDiffSynopsis, apiDiff) }

// diffEntry is a change as the CLI prints it: callers is present (maybe
// empty) exactly when traffic was read, for breaking changes.
type diffEntry struct {
	ID          string                 `json:"id"`
	Operation   string                 `json:"operation"`
	OperationID string                 `json:"operationId,omitempty"`
	Message     string                 `json:"message"`
	Level       string                 `json:"level"`
	Callers     *[]apidiff.CallerUsage `json:"callers,omitempty"`
}

type diffOutput struct {
	Breaking    []diffEntry `json:"breaking"`
	NonBreaking []diffEntry `json:"nonBreaking"`
	// Impact says where callers came from, when they did.
	Impact *diffImpact `json:"impact,omitempty"`
}

type diffImpact struct {
	API   string    `json:"api"`
	Days  int       `json:"days"`
	Since time.Time `json:"since"`
	Calls int       `json:"calls"` // request.completed events read
}

func apiDiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("api diff", flag.ContinueOnError)
	format := fs.String("format", "text", "text or json")
	days := fs.Int("days", 30, "client impact: calls of the last N days count")
	dataDir := fs.String("data-dir", "", "client impact: a local runtime data directory whose event archive holds request.completed events")
	traffic := fs.String("traffic", "", "client impact: a file of captured events, one CloudEvent JSON a line ('-' is stdin)")
	apiName := fs.String("api", "", "client impact: the API's catalog name (the events' service)")
	fs.Usage = func() { io.WriteString(stderr, apiDiffUsage) }
	pos, code, ok := interleaved(fs, args, stderr)
	if !ok {
		return code
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "cogniforge api diff: "+format+"\n", a...)
		return 2
	}
	switch {
	case len(pos) != 2:
		fmt.Fprint(stderr, "cogniforge api diff: give OLD and NEW\n\n"+apiDiffUsage)
		return 2
	case *format != "text" && *format != "json":
		return bad("--format %q: want text or json", *format)
	case *days <= 0:
		return bad("--days %d: want a positive number of days", *days)
	}
	docs := make([][]byte, 2)
	for i, p := range pos {
		b, err := readLimited(p, apidiff.MaxSpecBytes)
		if err != nil {
			return bad("%v", err)
		}
		docs[i] = b
	}
	res, err := apidiff.Compare(ctx, docs[0], docs[1])
	if err != nil {
		var se *apidiff.SpecError
		if errors.As(err, &se) {
			// Name the file rather than "old" or "new".
			file := pos[0]
			if se.Spec == "new" {
				file = pos[1]
			}
			return bad("%s: %v", file, strings.TrimPrefix(err.Error(), se.Spec+" spec: "))
		}
		fmt.Fprintf(stderr, "cogniforge api diff: %v\n", err)
		return 2
	}
	var impact *diffImpact
	if *traffic != "" || *dataDir != "" {
		name := *apiName
		if name == "" {
			name = catalogAPIFor(pos[1], pos[0])
		}
		if name == "" {
			return bad("client impact: give --api NAME (neither %s nor %s is a spec of api/catalog.yaml)", filepath.Base(pos[0]), filepath.Base(pos[1]))
		}
		now := time.Now()
		since := now.Add(-time.Duration(*days) * 24 * time.Hour)
		var calls []apidiff.Call
		if *traffic != "" {
			c, err := readTrafficFile(*traffic)
			if err != nil {
				return bad("--traffic %v", err)
			}
			calls = append(calls, c...)
		}
		if *dataDir != "" {
			c, code, err := archivedCalls(ctx, *dataDir, *days, stderr)
			if err != nil {
				fmt.Fprintf(stderr, "cogniforge api diff: --data-dir %s: %v\n", *dataDir, err)
				return code
			}
			calls = append(calls, c...)
		}
		res.AddImpact(name, calls, since)
		impact = &diffImpact{API: name, Days: *days, Since: since.UTC().Truncate(time.Second), Calls: len(calls)}
	}
	out := diffOutput{Breaking: entries(res.Breaking, impact != nil), NonBreaking: entries(res.NonBreaking, false), Impact: impact}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		printDiffText(stdout, out)
	}
	if res.HasBreaking() {
		return 1
	}
	return 0
}

func entries(cs []apidiff.Change, withCallers bool) []diffEntry {
	out := make([]diffEntry, 0, len(cs))
	for _, c := range cs {
		e := diffEntry{ID: c.ID, Operation: c.Operation, OperationID: c.OperationID, Message: c.Message, Level: c.Level}
		if withCallers && c.Callers != nil {
			callers := c.Callers
			e.Callers = &callers
		}
		out = append(out, e)
	}
	return out
}

func printDiffText(w io.Writer, out diffOutput) {
	line := func(kind string, e diffEntry) {
		op := e.Operation
		if op == "" {
			op = "(document)"
		}
		fmt.Fprintf(w, "%-12s %-8s %s  [%s]\n             %s\n", kind, e.Level, op, e.ID, e.Message)
		if e.Callers == nil {
			return
		}
		if len(*e.Callers) == 0 {
			fmt.Fprintf(w, "             callers: none in the last %d days\n", out.Impact.Days)
			return
		}
		parts := make([]string, 0, len(*e.Callers))
		for _, c := range *e.Callers {
			parts = append(parts, fmt.Sprintf("%s (%d calls, last %s)", c.Caller, c.Calls, c.LastSeen.Format(time.RFC3339)))
		}
		fmt.Fprintf(w, "             callers: %s\n", strings.Join(parts, ", "))
	}
	for _, e := range out.Breaking {
		line("BREAKING", e)
	}
	for _, e := range out.NonBreaking {
		line("non-breaking", e)
	}
	fmt.Fprintf(w, "%d breaking, %d non-breaking changes", len(out.Breaking), len(out.NonBreaking))
	if out.Impact != nil {
		fmt.Fprintf(w, " (callers of %s from %d request.completed events, last %d days)", out.Impact.API, out.Impact.Calls, out.Impact.Days)
	}
	fmt.Fprintln(w)
}

// readLimited reads a file ('-' is stdin), refusing one over limit bytes
// before reading it all.
func readLimited(path string, limit int64) ([]byte, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", path, apidiff.ErrTooLarge, limit)
	}
	return b, nil
}

// catalogAPIFor is the catalog name of the API whose spec file has one of
// the paths' base names, or "".
func catalogAPIFor(paths ...string) string {
	cat, err := apicatalog.Load(api.Files, api.CatalogFile)
	if err != nil {
		return ""
	}
	for _, p := range paths {
		base := filepath.Base(p)
		for _, e := range cat.Entries {
			if e.Spec == base {
				return e.Name
			}
		}
	}
	return ""
}

func readTrafficFile(path string) ([]apidiff.Call, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	calls, err := apidiff.ReadTraffic(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return calls, nil
}

// archivedCalls reads the request.completed events of the last days days
// from dataDir's event archive, directly or through the runtime holding
// it, as `cogniforge events query` does. The code is the exit code for the
// error: 2 for a directory that holds no store, 1 otherwise.
func archivedCalls(ctx context.Context, dataDir string, days int, stderr io.Writer) ([]apidiff.Call, int, error) {
	v := url.Values{}
	v.Set(qType, events.TypeRequestCompleted)
	v.Set(qFrom, strconv.Itoa(days)+"d")
	var buf bytes.Buffer
	svc, closeSvc, err := offlineEvents(ctx, dataDir, "", false, newLogger(stderr, slog.LevelWarn))
	if err != nil {
		base, rerr := runtimeServing(dataDir, err)
		if rerr != nil {
			return nil, dataDirCode(rerr), rerr
		}
		body, _, status, cerr := callRaw(ctx, http.MethodGet, base+"/streams/events?"+v.Encode())
		if cerr != nil {
			return nil, 1, cerr
		}
		if status != http.StatusOK {
			return nil, 1, fmt.Errorf("the runtime answered %d: %s", status, strings.TrimSpace(string(body)))
		}
		buf.Write(body)
	} else {
		defer closeSvc()
		if _, err := svc.query(ctx, v, &buf); err != nil {
			return nil, 1, err
		}
	}
	calls, err := apidiff.ReadTraffic(&buf)
	if err != nil {
		return nil, 1, err
	}
	return calls, 0, nil
}
