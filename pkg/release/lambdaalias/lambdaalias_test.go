package lambdaalias_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/release"
	"github.com/cogniforge/cogniforge/pkg/release/lambdaalias"
	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

// deploy creates cf-checkout on moto with versions 1 and 2 and a live
// alias on 1, as infra/modules/function leaves a function before a release.
func deploy(t *testing.T) *lambda.Client {
	t.Helper()
	ctx := context.Background()
	cfg := testenv.AWSConfig(t, testenv.StartMoto(t))
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	lc := lambda.NewFromConfig(cfg)
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("cf-checkout"), Role: role.Role.Arn,
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: zb.Bytes()}, Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("cf-checkout"), Description: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("cf-checkout"), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	return lc
}

func TestAliasesOnMoto(t *testing.T) {
	ctx := context.Background()
	lc := deploy(t)
	a := lambdaalias.New(lc, "cf-")
	v, err := a.Publish(ctx, "checkout", "second")
	if err != nil || v.Version != "2" {
		t.Fatalf("publish: %+v %v", v, err)
	}
	vs, err := a.Versions(ctx, "checkout")
	if err != nil || strings.Join(vs, ",") != "1,2" {
		t.Fatalf("versions %v %v", vs, err)
	}
	if err := a.SetAlias(ctx, "checkout", "live", release.Split("1", "2", 10)); err != nil {
		t.Fatal(err)
	}
	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("cf-checkout"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.FunctionVersion) != "1" || got.RoutingConfig == nil || got.RoutingConfig.AdditionalVersionWeights["2"] != 0.1 {
		t.Fatalf("alias on %s routing %+v", aws.ToString(got.FunctionVersion), got.RoutingConfig)
	}
	r, err := a.Alias(ctx, "checkout", "live")
	if err != nil || r.Version != "1" || r.Share("2") != 0.1 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, tc := range []struct {
		name   string
		do     func() error
		target error
		want   string
	}{
		{"a version that does not exist", func() error { return a.SetAlias(ctx, "checkout", "live", release.Split("1", "7", 10)) },
			release.ErrVersionNotFound, `checkout version "7" (have [1 2])`},
		{"an alias that does not exist", func() error { _, err := a.Alias(ctx, "checkout", "beta"); return err },
			release.ErrAliasNotFound, "checkout:beta"},
		{"moving an alias that does not exist", func() error { return a.SetAlias(ctx, "checkout", "beta", release.Routing{Version: "2"}) },
			release.ErrAliasNotFound, "checkout:beta"},
		{"a function that does not exist", func() error { _, err := a.Alias(ctx, "nope", "live"); return err },
			release.ErrFunctionNotFound, "cf-nope"},
		{"two additional versions", func() error {
			return a.SetAlias(ctx, "checkout", "live", release.Routing{Version: "1", Weights: map[string]float64{"2": 0.1, "3": 0.1}})
		}, nil, "at most one additional version"},
	} {
		err := tc.do()
		if err == nil || tc.target != nil && !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %v %q", tc.name, err, tc.target, tc.want)
		}
	}
	// Nothing half-applied: the refused changes left the 10% split.
	if r, _ := a.Alias(ctx, "checkout", "live"); r.Version != "1" || r.Share("2") != 0.1 {
		t.Fatalf("alias after refused changes: %+v", r)
	}
	if err := a.SetAlias(ctx, "checkout", "live", release.Routing{Version: "2"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Alias(ctx, "checkout", "live"); r.Version != "2" || len(r.Weights) != 0 {
		t.Fatalf("promoted alias: %+v", r)
	}
}

// The controller against Lambda's alias routing on moto: a canary failing
// a fifth of its calls is rolled back at its first check; a healthy one
// reaches all of the traffic.
func TestReleasesOnMoto(t *testing.T) {
	ctx := context.Background()
	lc := deploy(t)
	a := lambdaalias.New(lc, "cf-")
	if _, err := a.Publish(ctx, "checkout", ""); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Minute))
	st := memory.New(memory.Config{Now: clk.Now})
	counter := &release.Counter{Store: st}
	rs, err := release.New(release.Config{Store: st, Aliases: a, Counter: counter, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	calls := func(n, failed int) {
		var evs []slo.Event
		for i := range n {
			seq++
			status := "ok"
			if i < failed {
				status = "error"
			}
			evs = append(evs, slo.Event{ID: fmt.Sprint(seq), Time: clk.Now(), Service: "checkout", Status: status, DurationMs: 20, Version: "2"})
		}
		counter.Count(ctx, evs)
	}
	live := func() (string, map[string]float64) {
		got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("cf-checkout"), Name: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		var w map[string]float64
		if got.RoutingConfig != nil {
			w = got.RoutingConfig.AdditionalVersionWeights
		}
		return aws.ToString(got.FunctionVersion), w
	}

	if _, err := rs.Start(ctx, release.Spec{ID: "bad", Function: "checkout", Version: "2"}); err != nil {
		t.Fatal(err)
	}
	if v, w := live(); v != "1" || w["2"] != 0.1 {
		t.Fatalf("canary: %s %v", v, w)
	}
	clk.Advance(10 * time.Minute)
	calls(100, 20)
	o, err := rs.Check(ctx, "bad")
	if err != nil || o.State != release.RolledBack {
		t.Fatalf("%+v %v", o, err)
	}
	if v, w := live(); v != "1" || len(w) != 0 {
		t.Fatalf("after rollback: %s %v", v, w)
	}

	// Counts are by minute: the next release starts in a minute of its own.
	clk.Advance(time.Minute)
	if _, err := rs.Start(ctx, release.Spec{ID: "good", Function: "checkout", Version: "2", Strategy: release.Linear, Weights: []float64{20, 60}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []float64{0.6, 0} {
		clk.Advance(10 * time.Minute)
		calls(30, 0)
		if _, err := rs.Check(ctx, "good"); err != nil {
			t.Fatal(err)
		}
		v, w := live()
		if want > 0 && (v != "1" || w["2"] != want) || want == 0 && (v != "2" || len(w) != 0) {
			t.Fatalf("want %v to version 2: alias on %s %v", want, v, w)
		}
	}
	if _, err := rs.Start(ctx, release.Spec{Function: "checkout", Version: "5"}); err == nil || !strings.Contains(err.Error(), `no version "5"`) {
		t.Fatalf("unknown version: %v", err)
	}
}
