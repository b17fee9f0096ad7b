package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/secrets"
)

func TestParseDeclarations(t *testing.T) {
	data, err := os.ReadFile("../../config/secrets/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := secrets.ParseDeclarations("example.yaml", data)
	if err != nil || len(ds) != 2 {
		t.Fatalf("example: %d secrets, %v", len(ds), err)
	}
	if r, _ := ds[0].Rules(); r != (secrets.RotationRules{ScheduleExpression: "rate(90 days)", Duration: "3h"}) {
		t.Fatalf("quarterly rules %+v", r)
	}
	bad := []struct{ yaml, msg string }{
		{"secrets:\n  - fields: {a: b}\n", "name is required"},
		{"secrets:\n  - name: a\n  - name: a\n", "declared twice"},
		{"secrets:\n  - name: a\n    fields: {password: hunter2}\n", "must not hold a secret's value"},
		{"secrets:\n  - name: a\n    rotation: {schedule: rate(1 hour)}\n", "4 to 23"},
		{"secrets:\n  - name: a\n    rotation: {preset: daily, afterDays: 3}\n", "one of"},
		{"secrets:\n  - name: a\n    rotation: {duration: 3h}\n", "without a preset"},
		{"secrets:\n  - name: a\n    valu: x\n", "valu"},
	}
	for _, tc := range bad {
		if _, err := secrets.ParseDeclarations("f.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.msg)
		}
	}
}

// RotateDue rotates a declared secret when its window opens (by a fake
// clock), not before and not twice, and drives a rotation left in progress
// to its end with the same token.
func TestRotateDue(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "vault.json")
	key := bytes.Repeat([]byte{5}, 32)
	open := func() (*secrets.FileVault, error) {
		return secrets.OpenFileVault(path, key, secrets.VaultClock(clk.Now))
	}
	ds, err := secrets.ParseDeclarations("f.yaml", []byte("secrets:\n  - name: api\n    fields: {user: svc}\n    generate: apiKey\n    rotation: {preset: monthly, duration: 3h}\n  - name: static\n"))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := open()
	for _, d := range ds {
		if created, err := d.Ensure(ctx, v); err != nil || !created {
			t.Fatalf("ensure %s: %v %v", d.Name, created, err)
		}
	}
	first, _ := v.GetSecretValue(ctx, "api", "", secrets.StageCurrent)
	if created, err := ds[0].Ensure(ctx, v); err != nil || created {
		t.Fatalf("second ensure: %v %v", created, err)
	}
	var steps []string
	invoke := func(ctx context.Context, req secrets.Request) error {
		steps = append(steps, req.Step)
		v, err := open()
		if err != nil {
			return err
		}
		return secrets.Rotate(ctx, v, &secrets.Generic{Key: "apiKey"}, req)
	}
	rotate := func() []secrets.Rotation {
		t.Helper()
		rs, err := secrets.RotateDue(ctx, open, clk.Now(), invoke)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if rs := rotate(); len(rs) != 0 {
		t.Fatalf("rotated at creation: %+v", rs)
	}
	clk.Advance(29*24*time.Hour + 13*time.Hour) // 2026-03-01T23:00, the window opens 03-02
	if rs := rotate(); len(rs) != 0 {
		t.Fatalf("rotated before the window: %+v", rs)
	}
	clk.Advance(2 * time.Hour)
	rs := rotate()
	if len(rs) != 1 || rs[0].SecretID != "api" || rs[0].Err != nil || strings.Join(steps, ",") != "createSecret,setSecret,testSecret,finishSecret" {
		t.Fatalf("rotations %+v, steps %v", rs, steps)
	}
	v, _ = open()
	cur, _ := v.GetSecretValue(ctx, "api", "", secrets.StageCurrent)
	var a, b map[string]string
	_ = json.Unmarshal(first.Bytes, &a)
	_ = json.Unmarshal(cur.Bytes, &b)
	if cur.VersionID != rs[0].Token || b["apiKey"] == a["apiKey"] || b["user"] != "svc" {
		t.Fatalf("after rotation %v -> %v", a, b)
	}
	if rs := rotate(); len(rs) != 0 {
		t.Fatalf("rotated twice in one window: %+v", rs)
	}

	// A rotation left after createSecret is resumed with its own token.
	const tok = "99999999-0000-4000-8000-000000000001"
	if err := v.StartRotation(ctx, "api", tok); err != nil {
		t.Fatal(err)
	}
	if err := invoke(ctx, secrets.Request{SecretID: "api", ClientRequestToken: tok, Step: secrets.StepCreate}); err != nil {
		t.Fatal(err)
	}
	rs = rotate()
	if len(rs) != 1 || !rs[0].Resumed || rs[0].Token != tok || rs[0].Err != nil {
		t.Fatalf("resume: %+v", rs)
	}
	v, _ = open()
	if cur, _ := v.GetSecretValue(ctx, "api", "", secrets.StageCurrent); cur.VersionID != tok {
		t.Fatalf("AWSCURRENT %s after resume", cur.VersionID)
	}

	// A failing step is reported and leaves AWSCURRENT where it was.
	clk.Advance(60 * 24 * time.Hour)
	boom := errors.New("target refused")
	rs, err = secrets.RotateDue(ctx, open, clk.Now(), func(ctx context.Context, req secrets.Request) error {
		if req.Step == secrets.StepTest {
			return boom
		}
		return invoke(ctx, req)
	})
	if err != nil || len(rs) != 1 || !errors.Is(rs[0].Err, boom) {
		t.Fatalf("failing rotation: %+v %v", rs, err)
	}
	v, _ = open()
	if cur, _ := v.GetSecretValue(ctx, "api", "", secrets.StageCurrent); cur.VersionID != tok {
		t.Fatalf("AWSCURRENT moved to %s on a failed rotation", cur.VersionID)
	}
}
