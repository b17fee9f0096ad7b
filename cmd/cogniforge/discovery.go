package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func init() {
	register("discovery", command{summary: "service discovery: register, deregister, heartbeat and list instances", run: runDiscovery})
}

const discoveryUsage = `usage:
  cogniforge discovery register SERVICE ID URL [--weight N] [--zone Z] [--meta K=V]...
                         [--health-url URL] [--ttl D] [--json] [--url URL | --data-dir DIR]
  cogniforge discovery deregister SERVICE ID [--url URL | --data-dir DIR]
  cogniforge discovery heartbeat SERVICE ID [--json] [--url URL | --data-dir DIR]
  cogniforge discovery list [SERVICE] [--health H] [--json] [--url URL | --data-dir DIR]
  cogniforge discovery check [--json] [--url URL | --data-dir DIR]
                         probe every health URL now (the health-checker does each minute)

An instance is registered for a lease (--ttl, default 90s, 5s to 24h) that
heartbeat renews; the health-checker probes --health-url each minute.
--weight is 0 to 10000 (default 1; 0 keeps the instance out of rotation).

The commands talk to the health-checker: --url (its function URL, or
http://HOST/functions/health-checker of a local runtime), or --data-dir:
the runtime serving it, else its store directly; with neither, the local
runtime at 127.0.0.1:8080. Exit 0 ok, 1 refused (no such instance, the
runtime unreachable), 2 bad input.
`

func runDiscovery(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	return runSubcommand(ctx, "discovery", discoveryUsage, subcommandsOf(discoveryCall, "register", "deregister", "heartbeat", "list", "check"), args, stdout, stderr)
}

// metaFlag collects repeated --meta K=V.
type metaFlag map[string]string

func (m metaFlag) String() string { return fmt.Sprint(map[string]string(m)) }

func (m metaFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not KEY=VALUE", s)
	}
	m[k] = v
	return nil
}

// discoveryTarget is where a discovery command goes: a function URL, or a
// registry over a data directory's store opened here.
type discoveryTarget struct {
	base  string
	token string
	reg   *discovery.Registry
	close func()
}

func openDiscovery(base, dataDir string, create bool) (discoveryTarget, int, error) {
	if base != "" || dataDir == "" {
		u, err := functionURL(base, "", discovery.FunctionName)
		return discoveryTarget{base: u, token: callerToken(""), close: func() {}}, 0, err
	}
	b, err := bolt.Open(bolt.Config{Dir: dataDir, MustExist: !create, OpenTimeout: 200 * time.Millisecond})
	if errors.Is(err, bolt.ErrLocked) {
		// A runtime serves this directory: ask it.
		u, rerr := functionURL("", dataDir, discovery.FunctionName)
		if rerr != nil {
			return discoveryTarget{}, 2, fmt.Errorf("%v, and %v", err, rerr)
		}
		return discoveryTarget{base: u, token: callerToken(dataDir), close: func() {}}, 0, nil
	}
	if err != nil {
		return discoveryTarget{}, dataDirCode(err), err
	}
	reg, err := discovery.NewRegistry(discovery.RegistryConfig{Store: b})
	if err != nil {
		b.Close()
		return discoveryTarget{}, 1, err
	}
	return discoveryTarget{reg: reg, close: func() { b.Close() }}, 0, nil
}

func discoveryCall(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("discovery "+verb, flag.ContinueOnError)
	base := fl.String("url", "", "health-checker base URL")
	dataDir := fl.String("data-dir", "", "data directory of the local runtime (its runtime, else its store)")
	asJSON := fl.Bool("json", false, "print JSON")
	weight := fl.String("weight", "", "register: weight, 0 to 10000 (default 1)")
	zone := fl.String("zone", "", "register: zone")
	healthURL := fl.String("health-url", "", "register: URL the health-checker probes with GET")
	ttl := fl.String("ttl", "", "register: lease, e.g. 90s (default 90s)")
	health := fl.String("health", "", "list: only instances in this state (unknown, healthy, unhealthy)")
	meta := metaFlag{}
	fl.Var(meta, "meta", "register: metadata KEY=VALUE (repeatable)")
	pos, code, ok := interleaved(fl, args, stderr)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "cogniforge discovery %s: %s\n", verb, fmt.Sprintf(format, a...))
		return code
	}
	want := map[string][2]int{"register": {3, 3}, "deregister": {2, 2}, "heartbeat": {2, 2}, "list": {0, 1}, "check": {0, 0}}[verb]
	if len(pos) < want[0] || len(pos) > want[1] {
		names := map[string]string{"register": "SERVICE ID URL", "deregister": "SERVICE ID", "heartbeat": "SERVICE ID", "list": "[SERVICE]", "check": "no argument"}[verb]
		return fail(2, "want %s, got %d arguments\n\n%s", names, len(pos), discoveryUsage)
	}
	var reg discovery.Registration
	if verb == "register" {
		reg = discovery.Registration{Service: pos[0], ID: pos[1], URL: pos[2], Zone: *zone, HealthURL: *healthURL}
		if len(meta) > 0 {
			reg.Metadata = meta
		}
		if *weight != "" {
			n, err := strconv.Atoi(*weight)
			if err != nil {
				return fail(2, "--weight: %q is not a whole number", *weight)
			}
			reg.Weight = &n
		}
		if *ttl != "" {
			d, err := time.ParseDuration(*ttl)
			if err != nil {
				return fail(2, "--ttl: %q is not a duration such as 90s", *ttl)
			}
			reg.TTL = discovery.Duration(d)
		}
		if err := reg.Validate(); err != nil {
			return fail(2, "%s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	if *health != "" && *health != string(discovery.Unknown) && *health != string(discovery.Healthy) && *health != string(discovery.Unhealthy) {
		return fail(2, "--health: %q is not unknown, healthy or unhealthy", *health)
	}
	for i, p := range pos {
		if verb == "register" && i == 2 {
			break
		}
		if err := discovery.ValidName([]string{"service", "id"}[i], p); err != nil {
			return fail(2, "%v", err)
		}
	}
	tgt, code, err := openDiscovery(*base, *dataDir, verb == "register")
	if err != nil {
		return fail(code, "%v", err)
	}
	defer tgt.close()

	var out any
	if tgt.reg != nil {
		out, err = discoveryLocal(ctx, tgt.reg, verb, pos, reg, discovery.Health(*health))
		if err != nil {
			code := 1
			var fe *discovery.FieldError
			if errors.As(err, &fe) {
				code = 2
			}
			return fail(code, "%v", err)
		}
	} else {
		var raw []byte
		raw, code, err = discoveryRemote(ctx, tgt, verb, pos, reg, *health)
		if err != nil {
			return fail(code, "%v", err)
		}
		out = json.RawMessage(raw)
	}
	return discoveryPrint(stdout, stderr, verb, pos, out, *asJSON)
}

func discoveryLocal(ctx context.Context, r *discovery.Registry, verb string, pos []string, reg discovery.Registration, health discovery.Health) (any, error) {
	switch verb {
	case "register":
		return r.Register(ctx, reg)
	case "deregister":
		if err := r.Deregister(ctx, pos[0], pos[1]); err != nil {
			return nil, err
		}
		return map[string]any{"service": pos[0], "id": pos[1], "deregistered": true}, nil
	case "heartbeat":
		return r.Heartbeat(ctx, pos[0], pos[1])
	case "check":
		// No bus here: transitions stay pending, and the health-checker
		// announces them at its next run.
		ck, err := discovery.NewChecker(discovery.CheckerConfig{Registry: r})
		if err != nil {
			return nil, err
		}
		return ck.Check(ctx)
	}
	service := ""
	if len(pos) > 0 {
		service = pos[0]
	}
	all, err := r.Instances(ctx, service)
	if err != nil {
		return nil, err
	}
	list := []discovery.Instance{}
	for _, in := range all {
		if health == "" || in.Health == health {
			list = append(list, in)
		}
	}
	return map[string]any{"instances": list}, nil
}

func discoveryRemote(ctx context.Context, tgt discoveryTarget, verb string, pos []string, reg discovery.Registration, health string) ([]byte, int, error) {
	method, path := http.MethodGet, "/instances"
	var body any
	switch verb {
	case "register":
		method, body = http.MethodPost, reg
	case "deregister":
		method, path = http.MethodDelete, "/instances/"+url.PathEscape(pos[0])+"/"+url.PathEscape(pos[1])
	case "heartbeat":
		method, path = http.MethodPost, "/instances/"+url.PathEscape(pos[0])+"/"+url.PathEscape(pos[1])+"/heartbeat"
	case "check":
		method, path = http.MethodPost, "/check"
	case "list":
		if len(pos) > 0 {
			path += "/" + url.PathEscape(pos[0])
		}
		if health != "" {
			path += "?health=" + url.QueryEscape(health)
		}
	}
	out, status, err := call(ctx, method, tgt.base+path, body, tgt.token)
	if err != nil {
		return nil, 1, err
	}
	if status >= 400 {
		var p struct {
			Detail string `json:"detail"`
		}
		msg := strings.TrimSpace(string(out))
		if json.Unmarshal(out, &p) == nil && p.Detail != "" {
			msg = p.Detail
		}
		if status == http.StatusBadRequest {
			return nil, 2, errors.New(msg)
		}
		return nil, 1, fmt.Errorf("%s %s: %d: %s", method, path, status, msg)
	}
	return out, 0, nil
}

func discoveryPrint(stdout, stderr io.Writer, verb string, pos []string, out any, asJSON bool) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "cogniforge discovery %s: %v\n", verb, err)
		return 1
	}
	b := buf.Bytes()
	if asJSON {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, bytes.TrimSpace(b), "", "  "); err != nil {
			fmt.Fprintf(stderr, "cogniforge discovery %s: %v\n", verb, err)
			return 1
		}
		pretty.WriteByte('\n')
		stdout.Write(pretty.Bytes())
		return 0
	}
	switch verb {
	case "deregister":
		fmt.Fprintf(stdout, "deregistered %s/%s\n", pos[0], pos[1])
		return 0
	case "check":
		var rep discovery.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			fmt.Fprintf(stderr, "cogniforge discovery check: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "checked %d: %d healthy, %d unhealthy, %d unknown\n", rep.Checked, rep.Healthy, rep.Unhealthy, rep.Unknown)
		for _, c := range rep.Changes {
			fmt.Fprintf(stdout, "  %s/%s %s -> %s %s\n", c.Service, c.ID, c.From, c.To, c.LastError)
		}
		return 0
	case "list":
		var v struct {
			Instances []discovery.Instance `json:"instances"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			fmt.Fprintf(stderr, "cogniforge discovery list: %v\n", err)
			return 1
		}
		sort.Slice(v.Instances, func(i, j int) bool { return v.Instances[i].String() < v.Instances[j].String() })
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE\tID\tURL\tWEIGHT\tZONE\tHEALTH\tROUTABLE\tLEASE UNTIL")
		for _, in := range v.Instances {
			z := in.Zone
			if z == "" {
				z = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%t\t%s\n", in.Service, in.ID, in.URL, in.Weight, z, in.Health, in.Routable, in.ExpiresAt.UTC().Format(time.RFC3339))
		}
		tw.Flush()
		return 0
	}
	var in discovery.Instance
	if err := json.Unmarshal(b, &in); err != nil {
		fmt.Fprintf(stderr, "cogniforge discovery %s: %v\n", verb, err)
		return 1
	}
	what := map[string]string{"register": "registered", "heartbeat": "renewed"}[verb]
	fmt.Fprintf(stdout, "%s %s/%s %s (weight %d, %s), lease until %s\n", what, in.Service, in.ID, in.URL, in.Weight, in.Health, in.ExpiresAt.UTC().Format(time.RFC3339))
	return 0
}
