package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The manifest Terraform reads is what the functions declare: a trigger
// added in Go and not regenerated fails here, as a stale saga ASL does.
func TestInfraManifestIsCurrent(t *testing.T) {
	file := filepath.Join("..", "..", "infra", "functions.json")
	var stdout, stderr bytes.Buffer
	if code := dispatch(context.Background(), []string{"infra", "manifest", "-o", file, "--check"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("infra/functions.json is stale (exit %d): %s", code, stderr.String())
	}
}

func TestInfraManifestCheckFailsWhenStale(t *testing.T) {
	stale := filepath.Join(t.TempDir(), "functions.json")
	if err := os.WriteFile(stale, []byte(`{"functions":{}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := dispatch(context.Background(), []string{"infra", "manifest", "-o", stale, "--check"}, nil, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "is stale") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the stale file", code, stderr.String())
	}
	code = dispatch(context.Background(), []string{"infra", "manifest", "--check"}, nil, &stdout, &stderr)
	if code != 2 {
		t.Fatalf("--check without -o: exit %d, want 2", code)
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"invoke", "-h"}, {"infra", "manifest", "--help"}, {"sfn", "run", "--help"}, {"saga", "drain", "--help"}, {"saga", "status", "-h"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Errorf("%v: exit %d, want 0 (stderr %q)", args, code, stderr.String())
		}
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("%v printed no usage", args)
		}
	}
}
