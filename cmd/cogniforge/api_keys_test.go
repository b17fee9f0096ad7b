package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/apiclient"
)

func TestAPIKeys(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_LAMBDA_RUNTIME_API", "")
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), append([]string{"api", "keys"}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, _ := run("create", "--client", "acme", "--class", "premium", "--data-dir", dir)
	key := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(key, apiclient.KeyPrefix) {
		t.Fatalf("create: %d %q", code, out)
	}
	code, out, _ = run("list", "--data-dir", dir, "--json")
	var list struct{ Keys []apiclient.KeyRecord }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Keys) != 1 ||
		list.Keys[0].Hash != apiclient.HashKey(key) || strings.Contains(out, key) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, _, _ := run("revoke", "--client", "acme", "--data-dir", dir); code != 0 {
		t.Errorf("revoke: %d", code)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"revoke", "--client", "acme", "--data-dir", dir}, 2}, // no such key
		{[]string{"create", "--client", "x", "--class", "gold", "--data-dir", dir}, 2},
		{[]string{"create", "--data-dir", dir}, 2},
		{[]string{"revoke", "--data-dir", dir}, 2},
		{[]string{"list"}, 2}, // no store named
		{[]string{"--help"}, 0},
		{[]string{"create", "--help"}, 0},
	} {
		if code, _, errs := run(tc.args...); code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, errs)
		}
	}
}
