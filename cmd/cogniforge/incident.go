package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/events"
	"github.com/cogniforge/cogniforge/pkg/incident"
	"github.com/cogniforge/cogniforge/pkg/oncall"
)

func init() {
	register("incident", command{summary: "incidents: list, ack, resolve, note; simulate an escalation", run: runIncident})
}

const incidentUsage = `usage:
  cogniforge incident list [--state S] [--service S] [--json] [--url URL | --data-dir DIR]
  cogniforge incident ack ID --by USER [--url URL | --data-dir DIR]
  cogniforge incident resolve ID --by USER [--text TEXT] [--url URL | --data-dir DIR]
  cogniforge incident note ID --by USER --text TEXT [--url URL | --data-dir DIR]
  cogniforge incident simulate --policy FILE --schedules FILE --alert FILE [--ack-after DURATION]
                         run the escalation in virtual time; one JSON line per notification:
                         {"at": "5m0s", "level": n, "target": user, "channel": name}

The incident commands talk to an incident-manager: --url (its function URL, or
http://HOST/functions/incident-manager of a local runtime), the runtime serving
--data-dir, or the local runtime at 127.0.0.1:8080. They send the bearer token
of $COGNIFORGE_API_TOKEN, else the data directory's api.token, which
"cogniforge run" writes. Exit 0 ok, 1 refused
(e.g. an ack of a resolved incident: the incident is unchanged), 2 bad input.
`

func runIncident(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, incidentUsage)
		return 2
	}
	switch args[0] {
	case "list", "ack", "resolve", "note":
		return incidentCall(ctx, args[0], args[1:], stdout, stderr)
	case "simulate":
		return incidentSimulate(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		io.WriteString(stdout, incidentUsage)
		return 0
	}
	fmt.Fprintf(stderr, "cogniforge incident: unknown subcommand %q\n\n%s", args[0], incidentUsage)
	return 2
}

// functionURL is where a command reaches a function: base when given, else
// the runtime serving dataDir (its RuntimeAddrFile), else the local runtime
// at its default address.
func functionURL(base, dataDir, function string) (string, error) {
	if base != "" {
		return strings.TrimRight(base, "/"), nil
	}
	if dataDir != "" {
		addr, err := os.ReadFile(filepath.Join(dataDir, RuntimeAddrFile))
		if err != nil {
			return "", fmt.Errorf("no runtime serves %s (its %s: %w)", dataDir, RuntimeAddrFile, err)
		}
		return "http://" + strings.TrimSpace(string(addr)) + "/functions/" + function, nil
	}
	return "http://127.0.0.1:8080/functions/" + function, nil
}

func incidentCall(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("incident "+verb, flag.ContinueOnError)
	base := fl.String("url", "", "incident-manager base URL")
	dataDir := fl.String("data-dir", "", "data directory of the local runtime to ask")
	by := fl.String("by", "", "who acts (ack, resolve, note)")
	text := fl.String("text", "", "note text or resolution")
	state := fl.String("state", "", "list: triggered, acknowledged or resolved")
	service := fl.String("service", "", "list: one service")
	asJSON := fl.Bool("json", false, "list: print JSON")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	u, err := functionURL(*base, *dataDir, incident.FunctionName)
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge incident %s: %v\n", verb, err)
		return 2
	}
	method, path := http.MethodGet, "/incidents"
	var body any
	if verb == "list" {
		if len(pos) > 0 {
			fmt.Fprintf(stderr, "cogniforge incident list: unexpected argument %q\n", pos[0])
			return 2
		}
		q := url.Values{}
		if *state != "" {
			q.Set("state", *state)
		}
		if *service != "" {
			q.Set("service", *service)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
	} else {
		if len(pos) != 1 {
			fmt.Fprintf(stderr, "cogniforge incident %s: exactly one incident ID is required\n\n%s", verb, incidentUsage)
			return 2
		}
		if *by == "" || (verb == "note" && *text == "") {
			fmt.Fprintf(stderr, "cogniforge incident %s: --by USER is required (and --text for a note)\n", verb)
			return 2
		}
		method = http.MethodPost
		seg := map[string]string{"ack": "ack", "resolve": "resolve", "note": "notes"}[verb]
		path = "/incidents/" + url.PathEscape(pos[0]) + "/" + seg
		body = map[string]string{"by": *by, "text": *text}
	}
	out, status, err := call(ctx, method, u+path, body, callerToken(*dataDir))
	if err != nil {
		fmt.Fprintf(stderr, "cogniforge incident %s: %v\n", verb, err)
		return 1
	}
	if status >= 400 {
		fmt.Fprintf(stderr, "cogniforge incident %s: %s\n", verb, strings.TrimSpace(string(out)))
		if status == http.StatusBadRequest {
			return 2
		}
		return 1
	}
	if verb == "list" && !*asJSON {
		var v struct {
			Incidents []incident.Summary `json:"incidents"`
		}
		if err := json.Unmarshal(out, &v); err != nil {
			fmt.Fprintf(stderr, "cogniforge incident list: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tSTATE\tSERVICE\tOPENED\tALERTS\tTITLE")
		for _, s := range v.Incidents {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.Severity, s.State, s.Service, s.CreatedAt.UTC().Format(time.RFC3339), s.Alerts, s.Title)
		}
		tw.Flush()
		return 0
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = append(pretty.Bytes(), '\n')
	}
	stdout.Write(out)
	return 0
}

// call sends a JSON request and returns the body and status.
func call(ctx context.Context, method, u string, body any, token string) ([]byte, int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, 0, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w (is the runtime up? give --url or --data-dir)", method, u, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, err
	}
	return out, resp.StatusCode, nil
}

// roster answers who is on call from a schedules file.
type roster struct{ cfg *oncall.Config }

func (r roster) Zone(name string) (*time.Location, bool) {
	s, err := r.cfg.Schedule(name)
	if err != nil {
		return nil, false
	}
	return s.Location(), true
}

func (r roster) OnCall(name string, at time.Time) ([]string, error) {
	s, err := r.cfg.Schedule(name)
	if err != nil {
		return nil, err
	}
	return s.Who(at), nil
}

// incidentSimulate runs an escalation in virtual time and prints one JSON
// line per notification.
func incidentSimulate(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("incident simulate", flag.ContinueOnError)
	policyFile := fl.String("policy", "", "escalation policies (YAML)")
	schedFile := fl.String("schedules", "", "on-call schedules (YAML)")
	alertFile := fl.String("alert", "", "the alert: a CloudEvent (SLO alert, stuck saga) or an incident alert JSON")
	ackAfter := fl.Duration("ack-after", 0, "acknowledge this long after the incident opens (0: never)")
	settingsFile := fl.String("incidents", "", "incident settings (severity map) for alerts without a severity; default the built-in map")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 || *policyFile == "" || *schedFile == "" || *alertFile == "" {
		fmt.Fprint(stderr, "cogniforge incident simulate: --policy, --schedules and --alert are required\n\n"+incidentUsage)
		return 2
	}
	if *ackAfter < 0 {
		fmt.Fprintf(stderr, "cogniforge incident simulate: --ack-after %s is negative\n", *ackAfter)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "cogniforge incident simulate: %v\n", err)
		return 2
	}
	scheds, err := oncall.LoadFile(*schedFile)
	if err != nil {
		return fail(err)
	}
	raw, err := os.ReadFile(*policyFile)
	if err != nil {
		return fail(err)
	}
	pols, err := incident.ParsePolicies(*policyFile, raw, scheds.Names())
	if err != nil {
		return fail(err)
	}
	a, err := readAlert(*alertFile)
	if err != nil {
		return fail(err)
	}
	sev := a.Severity
	if sev == "" {
		sm := incident.DefaultSeverities()
		if *settingsFile != "" {
			b, err := os.ReadFile(*settingsFile)
			if err != nil {
				return fail(err)
			}
			st, err := incident.ParseSettings(*settingsFile, b)
			if err != nil {
				return fail(err)
			}
			if st.Severities != nil {
				sm = st.Severities
			}
		}
		sev = sm.Map(a.Source, a.SourceSeverity, a.Service)
	}
	start := a.Time
	if start.IsZero() {
		start = time.Now()
	}
	ns, err := pols.For(a.Service).Simulate(roster{scheds}, pols.Users, sev, start, *ackAfter)
	if err != nil {
		return fail(err)
	}
	enc := json.NewEncoder(stdout)
	for _, n := range ns {
		line := struct {
			At      string `json:"at"`
			Level   int    `json:"level"`
			Target  string `json:"target"`
			Channel string `json:"channel"`
		}{n.At.String(), n.Level, n.Target, n.Channel}
		if err := enc.Encode(line); err != nil {
			fmt.Fprintf(stderr, "cogniforge incident simulate: %v\n", err)
			return 1
		}
	}
	return 0
}

// readAlert reads an alert file: a structured CloudEvent (an SLO alert, a
// stuck saga) or an incident alert object.
func readAlert(path string) (incident.Alert, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return incident.Alert{}, err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return incident.Alert{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := probe["specversion"]; ok {
		ev, err := events.Decode(b)
		if err != nil {
			return incident.Alert{}, fmt.Errorf("%s: %w", path, err)
		}
		a, err := incident.FromCloudEvent(ev)
		if err != nil {
			return incident.Alert{}, fmt.Errorf("%s: %w", path, err)
		}
		return a, nil
	}
	var a incident.Alert
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return incident.Alert{}, fmt.Errorf("%s: %w", path, err)
	}
	if a.ID == "" {
		a.ID = path
	}
	if a.DedupKey == "" {
		a.DedupKey = a.ID
	}
	if err := a.Validate(); err != nil {
		return incident.Alert{}, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
