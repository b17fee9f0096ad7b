package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/eventstore"
	"github.com/cogniforge/cogniforge/pkg/orderview"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/streams"
)

func init() {
	register("projections", command{summary: "read models: rebuild one (from scratch or as of an instant), show checkpoints", run: runProjections})
}

// knownProjections are the read models the CLI can rebuild, by name.
var knownProjections = map[string]projection.Projection{
	orderview.ProjectionName: orderview.Projection{},
}

const projectionsUsage = `usage:
  cogniforge projections rebuild NAME [--as-of T] [--keep N] [--grace D] [--data-dir DIR] [--json]
                                  build the read model NAME again from every event of the event
                                  store's feed into a new generation, then make it the one readers
                                  read. --as-of T (RFC 3339) applies only the events recorded at or
                                  before T: the time-travel view, kept as its own generation and
                                  not made active (GET /orders?generation=G reads it). Prints what
                                  was done (--json: the report)
  cogniforge projections rebuild NAME --from-archive [--stream S]... [--since T] [--until T]
                                  [--activate] [--config DIR] [--data-dir DIR] [--json]
                                  build it from the event archive (DIR/archive, what events query
                                  reads) instead: streamed in archive order, each event once (by
                                  source and id), the streams S (default: every stream), archived
                                  from T (inclusive; RFC 3339, a date or an age: 2h, 3d) until T
                                  (exclusive). Kept as a view unless --activate: its checkpoint is
                                  then the feed's head before the rebuild, so activate it while no
                                  events are arriving. Corrupt archived records are skipped and
                                  counted on stderr
  cogniforge projections status [--data-dir DIR] [--json]
                                  each read model's active generation, its checkpoint, the feed's
                                  head and the lag between them, and every generation kept: its
                                  state (live, previous, deleting, view), position and items
  cogniforge projections rollback NAME [--data-dir DIR] [--json]
                                  make the previous generation active again (the live one becomes
                                  the previous; a second rollback switches forth). Exit 1 when none
                                  is kept
  cogniforge projections cleanup NAME [--keep N] [--grace D] [--max N] [--data-dir DIR] [--json]
                                  delete the superseded generations beyond the N most recent
                                  (default 1) that were superseded at least D ago (default 10m),
                                  and finish deletions an interrupted cleanup began; at most N
                                  items with --max (run it again for the rest). A rebuild that
                                  switches generations runs it too (--keep and --grace there)
Read models: %s. DIR defaults to .data (what make run uses); the command needs the data directory
for itself (stop the cogniforge run serving it). Exit 0 done, 1 the rebuild failed, 2 bad input.
`

func projectionsHelp() string {
	names := make([]string, 0, len(knownProjections))
	for n := range knownProjections {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Sprintf(projectionsUsage, strings.Join(names, ", "))
}

func runProjections(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "projections", projectionsHelp(), map[string]subcommand{
		"rebuild":  projectionsRebuild,
		"status":   projectionsStatus,
		"rollback": projectionsRollback,
		"cleanup":  projectionsCleanup,
	}, args, stdout, stderr)
}

// openEventStore opens the data directory's store for this command alone.
func openEventStore(dir string, mustExist bool) (*eventstore.EventStore, func() error, error) {
	b, err := bolt.Open(bolt.Config{Dir: dir, MustExist: mustExist, GroupCommit: true, OpenTimeout: 200 * time.Millisecond})
	if err != nil {
		return nil, nil, err
	}
	es, err := eventstore.New(eventstore.Config{Store: b})
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return es, b.Close, nil
}

func projectionsRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("projections rebuild", flag.ContinueOnError)
	dataDir := fl.String("data-dir", ".data", "local runtime data directory holding the store")
	asOf := fl.String("as-of", "", "apply only the events recorded at or before this RFC 3339 instant")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	fromArchive := fl.Bool("from-archive", false, "read the events from the event archive instead of the event store")
	var streamNames multiFlag
	fl.Var(&streamNames, "stream", "with --from-archive: an archive stream to read (repeatable; default every stream)")
	since := fl.String("since", "", "with --from-archive: archived at or after this instant (RFC 3339, a date, or an age: 2h)")
	until := fl.String("until", "", "with --from-archive: archived before this instant (default now)")
	activate := fl.Bool("activate", false, "with --from-archive: make the rebuilt generation active")
	configDir := fl.String("config", "", "with --from-archive: configuration directory whose streams/streams.yaml defines the streams (default ./config)")
	ret := retentionFlags(fl)
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if !*fromArchive && (len(streamNames) > 0 || *since != "" || *until != "" || *activate) {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: --stream, --since, --until and --activate need --from-archive\n\n%s", projectionsHelp())
		return 2
	}
	if err := ret.validate(); err != nil {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: want one read model NAME, got %d arguments\n\n%s", len(pos), projectionsHelp())
		return 2
	}
	p, known := knownProjections[pos[0]]
	if !known {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: no read model %q\n\n%s", pos[0], projectionsHelp())
		return 2
	}
	var opts projection.RebuildOptions
	if *asOf != "" {
		t, err := time.Parse(time.RFC3339Nano, *asOf)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: --as-of %q is not an RFC 3339 time (2026-12-03T10:00:00Z)\n", *asOf)
			return 2
		}
		opts.AsOf = t
	}
	var filter streams.Filter
	if *fromArchive {
		filter.Streams = streamNames
		for _, tf := range []struct {
			name, v string
			t       *time.Time
		}{{"since", *since, &filter.From}, {"until", *until, &filter.To}} {
			if tf.v == "" {
				continue
			}
			t, err := streams.ParseTime(tf.v, time.Now())
			if err != nil {
				fmt.Fprintf(stderr, "cogniforge projections rebuild: --%s %v\n", tf.name, err)
				return 2
			}
			*tf.t = t
		}
	}
	es, closeStore, err := openEventStore(*dataDir, true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	var scan streams.ScanReport
	if *fromArchive {
		cfg, err := streamsConfig(*configDir)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
			return 2
		}
		ast, closeArchive, err := openArchiveStore(*dataDir, true)
		if errors.Is(err, bolt.ErrNoStore) {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: %s holds no event archive (%s/%s): nothing was archived there\n", *dataDir, *dataDir, ArchiveDir)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: archive: %v\n", err)
			return dataDirCode(err)
		}
		defer closeArchive()
		arch, err := streams.NewArchive(ast, cfg, time.Now)
		if err != nil {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
			return 2
		}
		if err := arch.Validate(filter); err != nil {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
			return 2
		}
		opts.Source = projection.Deduplicated(projection.ArchiveSource{Archive: arch, Filter: filter, Report: &scan})
		opts.View = !*activate
	}
	proj, err := projection.New(ret.config(es, p))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: %v\n", err)
		return 2
	}
	rep, err := proj.Rebuild(ctx, opts)
	if len(scan.Corrupt) > 0 {
		fmt.Fprintf(stderr, "cogniforge projections rebuild: skipped %d corrupt archived records\n", len(scan.Corrupt))
	}
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections rebuild %s: %v\n", pos[0], err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, rep)
	}
	fmt.Fprintf(stdout, "rebuilt %s into generation %s: %d events applied up to position %d, %d items written in %s\n",
		rep.Name, rep.Generation, rep.Events, rep.Position, rep.Items, rep.Duration.Round(time.Millisecond))
	switch {
	case rep.Activated:
		fmt.Fprintf(stdout, "generation %s is now active\n", rep.Generation)
		printCleanup(stdout, rep.Cleanup)
		if rep.CleanupError != "" {
			fmt.Fprintf(stderr, "cogniforge projections rebuild: cleanup of old generations failed (the next cleanup resumes it): %s\n", rep.CleanupError)
		}
	case *fromArchive && rep.AsOf.IsZero():
		fmt.Fprintf(stdout, "from the archive (%d archived events read): generation %s is a view, not active; read it with ?generation=%s\n",
			scan.Records, rep.Generation, rep.Generation)
	default:
		fmt.Fprintf(stdout, "as of %s (%d later events left out): generation %s is a view, not active; read it with ?generation=%s\n",
			rep.AsOf.Format(time.RFC3339Nano), rep.Skipped, rep.Generation, rep.Generation)
	}
	return 0
}

func projectionsStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("projections status", flag.ContinueOnError)
	dataDir := fl.String("data-dir", ".data", "local runtime data directory holding the store")
	asJSON := fl.Bool("json", false, `print {"projections": [...]}`)
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "cogniforge projections status: unexpected argument %q\n\n%s", pos[0], projectionsHelp())
		return 2
	}
	es, closeStore, err := openEventStore(*dataDir, true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections status: %v\n", err)
		return dataDirCode(err)
	}
	defer closeStore()
	names := make([]string, 0, len(knownProjections))
	for n := range knownProjections {
		names = append(names, n)
	}
	sts, err := projection.Statuses(ctx, es, names...)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections status: %v\n", err)
		return 1
	}
	for i := range sts {
		if p, ok := knownProjections[sts[i].Name]; ok {
			if err := sts[i].CountItems(ctx, es.Store(), p); err != nil {
				fmt.Fprintf(stderr, "cogniforge projections status: %s: %v\n", sts[i].Name, err)
				return 1
			}
		}
	}
	if *asJSON {
		return writeJSON(stdout, stderr, map[string]any{"projections": sts})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACTIVE\tPOSITION\tHEAD\tLAG\tREBUILT\tGENERATIONS")
	for _, s := range sts {
		rebuilt := "-"
		if !s.RebuiltAt.IsZero() {
			rebuilt = s.RebuiltAt.Format(time.RFC3339)
		}
		gens := make([]string, 0, len(s.Generations))
		for g, p := range s.Generations {
			gens = append(gens, fmt.Sprintf("%s@%d", g, p))
		}
		sort.Strings(gens)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.Name, s.Active, s.Position, s.Head, s.Lag, rebuilt, strings.Join(gens, " "))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "NAME\tGENERATION\tSTATE\tPOSITION\tITEMS\tSUPERSEDED")
	for _, s := range sts {
		for _, g := range s.Kept {
			items, since := "?", "-"
			if g.Items >= 0 {
				items = fmt.Sprint(g.Items)
			}
			if !g.Since.IsZero() {
				since = g.Since.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, g.Generation, g.State, g.Position, items, since)
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}

// retention is the flags of how long superseded generations are kept.
type retention struct {
	keep  *int
	grace *time.Duration
}

func retentionFlags(fl *flag.FlagSet) retention {
	return retention{
		keep:  fl.Int("keep", projection.DefaultKeep, "superseded generations kept whatever their age (the most recent; 0: none)"),
		grace: fl.Duration("grace", projection.DefaultGrace, "how long a superseded generation is kept after it was superseded (0: not at all)"),
	}
}

func (r retention) validate() error {
	if *r.keep < 0 {
		return fmt.Errorf("--keep %d is negative", *r.keep)
	}
	if *r.grace < 0 {
		return fmt.Errorf("--grace %s is negative", *r.grace)
	}
	return nil
}

// config is the projector's configuration with this retention (zero
// values mean none, which the projector spells negative).
func (r retention) config(es *eventstore.EventStore, p projection.Projection) projection.Config {
	cfg := projection.Config{Events: es, Projection: p, Keep: *r.keep, Grace: *r.grace}
	if cfg.Keep == 0 {
		cfg.Keep = -1
	}
	if cfg.Grace == 0 {
		cfg.Grace = -1
	}
	return cfg
}

func printCleanup(w io.Writer, c *projection.CleanupReport) {
	if c == nil {
		return
	}
	if len(c.Deleted) > 0 {
		fmt.Fprintf(w, "deleted old generations %s (%d items)\n", strings.Join(c.Deleted, ", "), c.Items)
	} else if c.Items > 0 {
		fmt.Fprintf(w, "deleted %d items of old generations\n", c.Items)
	}
	if !c.Done {
		fmt.Fprintln(w, "old generations are still being deleted: run projections cleanup again")
	}
	var kept []string
	for _, k := range c.Kept {
		kept = append(kept, k.Generation)
	}
	if len(kept) > 0 {
		fmt.Fprintf(w, "kept previous generations %s\n", strings.Join(kept, ", "))
	}
}

// projectorFor opens the data directory and a projector of the read model
// named by the one positional argument.
func projectorFor(cmd string, fl *flag.FlagSet, args []string, ret *retention, stderr io.Writer) (*projection.Projector, *eventstore.EventStore, func() error, int) {
	dataDir := fl.String("data-dir", ".data", "local runtime data directory holding the store")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return nil, nil, nil, code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "cogniforge projections %s: want one read model NAME, got %d arguments\n\n%s", cmd, len(pos), projectionsHelp())
		return nil, nil, nil, 2
	}
	p, known := knownProjections[pos[0]]
	if !known {
		fmt.Fprintf(stderr, "cogniforge projections %s: no read model %q\n\n%s", cmd, pos[0], projectionsHelp())
		return nil, nil, nil, 2
	}
	cfg := projection.Config{Projection: p}
	if ret != nil {
		if err := ret.validate(); err != nil {
			fmt.Fprintf(stderr, "cogniforge projections %s: %v\n", cmd, err)
			return nil, nil, nil, 2
		}
	}
	es, closeStore, err := openEventStore(*dataDir, true)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections %s: %v\n", cmd, err)
		return nil, nil, nil, dataDirCode(err)
	}
	cfg.Events = es
	if ret != nil {
		cfg = ret.config(es, p)
	}
	proj, err := projection.New(cfg)
	if err != nil {
		closeStore()
		fmt.Fprintf(stderr, "cogniforge projections %s: %v\n", cmd, err)
		return nil, nil, nil, 2
	}
	return proj, es, closeStore, 0
}

func projectionsRollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("projections rollback", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, `print {"from": G, "to": G}`)
	proj, _, closeStore, code := projectorFor("rollback", fl, args, nil, stderr)
	if proj == nil {
		return code
	}
	defer closeStore()
	from, to, err := proj.Rollback(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections rollback: %v\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, map[string]string{"from": from, "to": to})
	}
	fmt.Fprintf(stdout, "generation %s is active again (%s is now the previous one)\n", to, from)
	return 0
}

func projectionsCleanup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("projections cleanup", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, "print the report as JSON")
	maxItems := fl.Int("max", 0, "delete at most this many items (0: all)")
	ret := retentionFlags(fl)
	proj, _, closeStore, code := projectorFor("cleanup", fl, args, &ret, stderr)
	if proj == nil {
		return code
	}
	defer closeStore()
	rep, err := proj.Cleanup(ctx, *maxItems)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge projections cleanup: %v (run it again to resume)\n", err)
		return 1
	}
	if *asJSON {
		return writeJSON(stdout, stderr, rep)
	}
	if len(rep.Deleted) == 0 && rep.Items == 0 {
		fmt.Fprintln(stdout, "nothing to delete")
	}
	printCleanup(stdout, &rep)
	return 0
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "cogniforge projections: %v\n", err)
		return 1
	}
	return 0
}
