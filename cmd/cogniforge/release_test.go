package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The CLI refuses bad input before it calls anyone: exit 2 naming the
// flag, and no request sent.
func TestReleaseBadInputSendsNothing(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, ""},
		{[]string{"start", "checkout", "--version", "2", "--weights", "10,x"}, 2, `--weights: "x" is not a number`},
		{[]string{"start", "checkout", "--version", "2", "--weight", "NaN"}, 2, `--weight: "NaN" is not a number`},
		{[]string{"start", "checkout", "--version", "2", "--weight", "5", "--weights", "5"}, 2, "not both"},
		{[]string{"start", "checkout", "--version", "2", "--strategy", "linear", "--weight", "0"}, 2, "linear step of 0% is not in (0, 100)"},
		{[]string{"start", "checkout"}, 2, "--version is required"},
		{[]string{"start", "checkout", "--version", "2", "--interval", "-1m"}, 2, `--interval: "-1m" is not a positive duration`},
		{[]string{"start", "checkout", "--version", "2", "--max-latency-ms", "fast"}, 2, `--max-latency-ms: "fast" is not a number`},
		{[]string{"start", "checkout", "--version", "2", "--min-requests", "1.5"}, 2, `--min-requests: "1.5" is not a whole number`},
		{[]string{"rollback"}, 2, "exactly one release ID"},
		{[]string{"promote", "x"}, 2, `unknown subcommand "promote"`},
	} {
		var out, errb bytes.Buffer
		code := runRelease(context.Background(), append(tc.args, "--url", srv.URL), nil, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d %q, want %d %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
	if calls != 0 {
		t.Fatalf("%d requests sent", calls)
	}
}

func TestParseWeights(t *testing.T) {
	w, err := parseWeights("5, 12.5%,50")
	if err != nil || len(w) != 3 || w[1] != 12.5 {
		t.Fatalf("%v %v", w, err)
	}
}
