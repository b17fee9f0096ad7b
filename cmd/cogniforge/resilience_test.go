package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/resilience"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

func TestResilienceCommands(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(bolt.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	ctx := context.Background()
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := dispatch(ctx, append([]string{"resilience"}, args...), nil, &out, &errb)
		return out.String(), errb.String(), code
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, ""},
		{[]string{"status", "extra", "--data-dir", dir}, 2, "unexpected argument"},
		{[]string{"force", "--mode", "open", "--data-dir", dir}, 2, "NAME"},
		{[]string{"force", "event-bus", "--mode", "ajar", "--data-dir", dir}, 2, "mode"},
		{[]string{"force", "event-bus", "--mode", "open", "--for", "-5m", "--data-dir", dir}, 2, "for"},
		{[]string{"force", "event-bus", "--mode", "open", "--for", "5m", "--until", "2030-01-01T00:00:00Z", "--data-dir", dir}, 2, "not both"},
		{[]string{"status", "--data-dir", t.TempDir()}, 2, "no store"},
		{[]string{"force", "event-bus", "--mode", "open", "--for", "5m", "--data-dir", dir}, 0, ""},
	} {
		_, errOut, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
	out, errOut, code := run("status", "--json", "--data-dir", dir)
	var got resilience.Status
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Breakers) != 1 || got.Breakers[0].Forced != resilience.ForceOpen {
		t.Fatalf("status --json: exit %d %s %s", code, out, errOut)
	}
	out, _, code = run("status", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "event-bus") || !strings.Contains(out, "open until") {
		t.Errorf("status table: exit %d\n%s", code, out)
	}
}
