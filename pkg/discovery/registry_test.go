package discovery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/clock"
	"github.com/cogniforge/cogniforge/pkg/discovery"
	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
	"github.com/cogniforge/cogniforge/pkg/store/dynamo/dynamotest"
	"github.com/cogniforge/cogniforge/pkg/store/memory"
	"github.com/cogniforge/cogniforge/test/testenv"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newRegistry(t *testing.T) (*discovery.Registry, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(epoch)
	r, err := discovery.NewRegistry(discovery.RegistryConfig{Store: memory.New(memory.Config{Now: clk.Now}), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return r, clk
}

func weight(n int) *int { return &n }

func TestRegistrationBadInput(t *testing.T) {
	ok := discovery.Registration{Service: "checkout", ID: "i-1", URL: "http://10.0.0.1:8080"}
	for _, tc := range []struct {
		name  string
		edit  func(*discovery.Registration)
		field string
	}{
		{"negative weight", func(r *discovery.Registration) { r.Weight = weight(-1) }, "weight"},
		{"weight too large", func(r *discovery.Registration) { r.Weight = weight(discovery.MaxWeight + 1) }, "weight"},
		{"empty URL", func(r *discovery.Registration) { r.URL = "" }, "url"},
		{"relative URL", func(r *discovery.Registration) { r.URL = "/checkout" }, "url"},
		{"not http", func(r *discovery.Registration) { r.URL = "ftp://host/x" }, "url"},
		{"bad health URL", func(r *discovery.Registration) { r.HealthURL = "health" }, "healthUrl"},
		{"empty service", func(r *discovery.Registration) { r.Service = "" }, "service"},
		{"slash in service", func(r *discovery.Registration) { r.Service = "a/b" }, "service"},
		{"empty id", func(r *discovery.Registration) { r.ID = "" }, "id"},
		{"TTL too short", func(r *discovery.Registration) { r.TTL = discovery.Duration(time.Second) }, "ttl"},
		{"TTL negative", func(r *discovery.Registration) { r.TTL = discovery.Duration(-time.Minute) }, "ttl"},
		{"empty metadata key", func(r *discovery.Registration) { r.Metadata = map[string]string{"": "x"} }, "metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newRegistry(t)
			reg := ok
			tc.edit(&reg)
			_, err := r.Register(context.Background(), reg)
			var fe *discovery.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, discovery.ErrInvalid) {
				t.Fatalf("err = %v, want a FieldError naming %s", err, tc.field)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Errorf("message %q does not name %s", err, tc.field)
			}
			if got, _ := r.Instances(context.Background(), ""); len(got) != 0 {
				t.Errorf("a refused registration wrote %v", got)
			}
		})
	}
	// Every problem is reported at once.
	err := discovery.Registration{Weight: weight(-2)}.Validate()
	for _, f := range []string{"service:", "id:", "url:", "weight:"} {
		if !strings.Contains(fmt.Sprint(err), f) {
			t.Errorf("%v does not name %s", err, f)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	for in, want := range map[string]time.Duration{`"90s"`: 90 * time.Second, `"2m"`: 2 * time.Minute, `30`: 30 * time.Second} {
		var d discovery.Duration
		if err := d.UnmarshalJSON([]byte(in)); err != nil || time.Duration(d) != want {
			t.Errorf("%s: %v %v", in, time.Duration(d), err)
		}
	}
	var d discovery.Duration
	if err := d.UnmarshalJSON([]byte(`"soon"`)); err == nil {
		t.Error("soon parsed")
	}
}

func TestRegisterDefaultsAndReRegistration(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	in, err := r.Register(ctx, discovery.Registration{Service: "checkout", ID: "i-1", URL: "http://a:80", HealthURL: "http://a:80/health",
		Zone: "eu-west-1a", Metadata: map[string]string{"version": "1.2.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Weight != discovery.DefaultWeight || time.Duration(in.TTL) != discovery.DefaultTTL || in.Health != discovery.Unknown ||
		!in.ExpiresAt.Equal(epoch.Add(discovery.DefaultTTL)) || !in.Routable || in.Version != 1 {
		t.Fatalf("registered %+v", in)
	}
	// Two passes make it healthy; re-registering the same endpoint keeps that.
	for range 2 {
		if _, _, err := r.Record(ctx, "checkout", "i-1", discovery.Thresholds{}, clk.Now(), ""); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Minute)
	in, err = r.Register(ctx, discovery.Registration{Service: "checkout", ID: "i-1", URL: "http://a:80", HealthURL: "http://a:80/health", Weight: weight(3)})
	if err != nil {
		t.Fatal(err)
	}
	if in.Health != discovery.Healthy || in.Weight != 3 || !in.RegisteredAt.Equal(epoch) || !in.RenewedAt.Equal(clk.Now()) || in.Zone != "" {
		t.Fatalf("re-registered %+v", in)
	}
	// Another URL is another endpoint: its health is unknown again.
	in, err = r.Register(ctx, discovery.Registration{Service: "checkout", ID: "i-1", URL: "http://b:80", HealthURL: "http://b:80/health"})
	if err != nil {
		t.Fatal(err)
	}
	if in.Health != discovery.Unknown || in.Passes != 0 || in.Changes != 1 {
		t.Fatalf("moved %+v", in)
	}
}

func TestLeaseExpiresWithoutHeartbeat(t *testing.T) {
	ctx := context.Background()
	r, clk := newRegistry(t)
	if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: "a", URL: "http://a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: "b", URL: "http://b", TTL: discovery.Duration(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	c, err := discovery.NewClient(discovery.ClientConfig{Source: r, Strategy: discovery.RoundRobin, CacheTTL: time.Second, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(60 * time.Second) // b's 30 s lease is over; a's 90 s is not
	if _, err := r.Get(ctx, "s", "b"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("b after its lease: %v", err)
	}
	if _, err := r.Heartbeat(ctx, "s", "b"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("heartbeat of an expired instance: %v", err)
	}
	hb, err := r.Heartbeat(ctx, "s", "a")
	if err != nil || !hb.ExpiresAt.Equal(clk.Now().Add(discovery.DefaultTTL)) {
		t.Fatalf("heartbeat: %+v %v", hb, err)
	}
	for range 10 {
		sel, err := c.Pick(ctx, "s")
		if err != nil || sel.Instance.ID != "a" {
			t.Fatalf("pick: %v %v", sel.Instance, err)
		}
	}
	clk.Advance(discovery.DefaultTTL - time.Second)
	if _, err := r.Get(ctx, "s", "a"); err != nil {
		t.Fatalf("a within its renewed lease: %v", err)
	}
	clk.Advance(time.Second)
	if got, err := r.Instances(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("after every lease: %v %v", got, err)
	}
	if _, err := c.Pick(ctx, "s"); !errors.Is(err, discovery.ErrNoInstance) {
		t.Fatalf("pick after every lease: %v", err)
	}
	// The lease is the store item's expiry too: nothing is left behind.
	if err := r.Deregister(ctx, "s", "a"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("deregister after the lease: %v", err)
	}
}

func TestDeregister(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegistry(t)
	if _, err := r.Register(ctx, discovery.Registration{Service: "s", ID: "a", URL: "http://a"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Deregister(ctx, "s", "a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Deregister(ctx, "s", "a"); !errors.Is(err, discovery.ErrNotFound) {
		t.Fatalf("second deregister: %v", err)
	}
	if svcs, _ := r.Services(ctx); len(svcs) != 0 {
		t.Fatalf("services %v", svcs)
	}
}

// Many writers on one registry, through the memory store, a bolt file and
// DynamoDB (moto): registrations racing on the same ids end with one record
// each, and heartbeats racing health results lose neither.
func TestConcurrentWritesKeepEveryChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T, now func() time.Time) store.Store
	}{
		{"memory", func(t *testing.T, now func() time.Time) store.Store { return memory.New(memory.Config{Now: now}) }},
		{"bolt", func(t *testing.T, now func() time.Time) store.Store {
			b, err := bolt.Open(bolt.Config{Dir: t.TempDir(), Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		}},
		// A serial moto: threaded moto_server's backends take no locks and
		// can lose a conditional write DynamoDB never would.
		{"dynamodb on moto", func(t *testing.T, now func() time.Time) store.Store {
			db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.StartMoto(t, testenv.Serial())))
			return dynamotest.NewStore(t, db, dynamo.Config{Now: now})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			r, err := discovery.NewRegistry(discovery.RegistryConfig{Store: tc.open(t, clk.Now), Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			const ids, repeats = 8, 6
			var wg sync.WaitGroup
			errs := make(chan error, ids*repeats+200)
			for i := range ids * repeats {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := r.Register(ctx, discovery.Registration{Service: "s", ID: fmt.Sprintf("i-%d", i%ids), URL: "http://h", Weight: weight(1 + i/ids)})
					errs <- err
				}()
			}
			wg.Wait()
			got, err := r.Instances(ctx, "s")
			if err != nil || len(got) != ids {
				t.Fatalf("%d instances, want %d (%v)", len(got), ids, err)
			}
			for _, in := range got {
				if in.Version != repeats {
					t.Errorf("%s: version %d, want %d writes", in.ID, in.Version, repeats)
				}
			}
			const each = 25
			for i := range 2 * each {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if i%2 == 0 {
						_, err = r.Heartbeat(ctx, "s", "i-0")
					} else {
						_, _, err = r.Record(ctx, "s", "i-0", discovery.Thresholds{Fail: 1000}, clk.Now(), "refused")
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			in, err := r.Get(ctx, "s", "i-0")
			if err != nil {
				t.Fatal(err)
			}
			if in.Failures != each || in.Version != repeats+2*each {
				t.Fatalf("after %d heartbeats and %d failures: failures %d, version %d", each, each, in.Failures, in.Version)
			}
		})
	}
}
