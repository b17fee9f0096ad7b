package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// The discovery commands on a data directory's store, no runtime: the
// exit codes and the messages naming what is wrong.
func TestDiscoveryCommands(t *testing.T) {
	dir := t.TempDir()
	dd := []string{"--data-dir", dir}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append([]string{"discovery"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"--help"}, 0, "cogniforge discovery register SERVICE ID URL", ""},
		{"no subcommand", nil, 2, "", "usage:"},
		{"unknown subcommand", []string{"promote"}, 2, "", `unknown subcommand "promote"`},
		{"list before anything ran", append([]string{"list"}, dd...), 2, "", "nothing has run with this --data-dir"},
		{"register", append([]string{"register", "checkout", "i-1", "http://10.0.0.1:8080", "--weight", "2", "--meta", "v=1", "--zone", "z1"}, dd...), 0, "registered checkout/i-1 http://10.0.0.1:8080 (weight 2, unknown)", ""},
		{"weight not a number", append([]string{"register", "checkout", "i-2", "http://h", "--weight", "2x"}, dd...), 2, "", `--weight: "2x" is not a whole number`},
		{"negative weight", append([]string{"register", "checkout", "i-2", "http://h", "--weight", "-1"}, dd...), 2, "", "weight: -1 is outside 0..10000"},
		{"empty URL", append([]string{"register", "checkout", "i-2", ""}, dd...), 2, "", "url: required"},
		{"bad TTL", append([]string{"register", "checkout", "i-2", "http://h", "--ttl", "soon"}, dd...), 2, "", `--ttl: "soon" is not a duration`},
		{"bad meta", append([]string{"register", "checkout", "i-2", "http://h", "--meta", "novalue"}, dd...), 2, "", `"novalue" is not KEY=VALUE`},
		{"missing URL", append([]string{"register", "checkout", "i-2"}, dd...), 2, "", "want SERVICE ID URL, got 2 arguments"},
		{"bad service name", append([]string{"heartbeat", "check/out", "i-1"}, dd...), 2, "", "service:"},
		{"bad health filter", append([]string{"list", "--health", "sick"}, dd...), 2, "", `--health: "sick"`},
		{"heartbeat", append([]string{"heartbeat", "checkout", "i-1"}, dd...), 0, "renewed checkout/i-1", ""},
		{"heartbeat of nothing", append([]string{"heartbeat", "checkout", "i-9"}, dd...), 1, "", "no such instance: checkout/i-9"},
		{"list", append([]string{"list", "checkout"}, dd...), 0, "checkout  i-1  http://10.0.0.1:8080  2       z1", ""},
		{"check with no health URL", append([]string{"check"}, dd...), 0, "checked 0: 0 healthy, 0 unhealthy, 0 unknown", ""},
		{"deregister", append([]string{"deregister", "checkout", "i-1"}, dd...), 0, "deregistered checkout/i-1", ""},
		{"deregister again", append([]string{"deregister", "checkout", "i-1"}, dd...), 1, "", "no such instance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out, errOut, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	code, out, _ := cli(append([]string{"register", "web", "a", "http://a?x=1&y=2", "--json"}, dd...)...)
	var in struct {
		URL    string `json:"url"`
		Weight int    `json:"weight"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &in) != nil || in.URL != "http://a?x=1&y=2" || in.Weight != 1 || strings.Contains(out, `\u0026`) {
		t.Fatalf("register --json: %d %s", code, out)
	}
}
