package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
	"github.com/cogniforge/cogniforge/pkg/store/storetest"
)

func open(t testing.TB, cfg bolt.Config) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	for _, group := range []bool{false, true} {
		t.Run(fmt.Sprintf("GroupCommit=%v", group), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
				return open(t, bolt.Config{Dir: t.TempDir(), Now: now, GroupCommit: group})
			})
		})
	}
}

func TestConfigValidate(t *testing.T) {
	err := bolt.Config{MaxBatchSize: -1, OpenTimeout: -1}.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"Dir", "MaxBatchSize", "OpenTimeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if _, err := bolt.Open(bolt.Config{}); err == nil {
		t.Fatal("Open without Dir succeeded")
	}
}

// TestDurableAcrossReopen checks that acknowledged writes are on disk: a
// closed and reopened store still has them, with versions and expiry.
func TestDurableAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	clock := storetest.NewClock()
	ctx := context.Background()
	s, err := bolt.Open(bolt.Config{Dir: dir, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	key := store.Key{Partition: "p", Sort: "s"}
	exp := clock.Now().Add(time.Hour)
	s.Put(ctx, store.Item{Key: key, Value: []byte("a")}, store.Condition{})
	s.Put(ctx, store.Item{Key: key, Value: []byte("b"), ExpiresAt: exp}, store.Condition{})
	s.Add(ctx, store.Key{Partition: "p", Sort: "n"}, 41)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, bolt.Config{Dir: dir, Now: clock.Now})
	got, err := s.Get(ctx, key)
	if err != nil || string(got.Value) != "b" || got.Version != 2 || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("after reopen = %+v, %v", got, err)
	}
	if n, err := s.Add(ctx, store.Key{Partition: "p", Sort: "n"}, 1); err != nil || n != 42 {
		t.Fatalf("counter after reopen = %d, %v", n, err)
	}
}

func TestSweep(t *testing.T) {
	clock := storetest.NewClock()
	s := open(t, bolt.Config{Dir: t.TempDir(), Now: clock.Now})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		var exp time.Time
		if i%3 != 0 {
			exp = clock.Now().Add(time.Duration(i) * time.Second)
		}
		if _, err := s.Put(ctx, store.Item{Key: store.Key{Partition: fmt.Sprint("p", i%2), Sort: fmt.Sprint(i)}, ExpiresAt: exp}, store.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(5 * time.Second) // items 1, 2, 4, 5 expired
	if n, err := s.Sweep(ctx); err != nil || n != 4 {
		t.Fatalf("Sweep = %d, %v; want 4", n, err)
	}
	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("second Sweep = %d, %v; want 0", n, err)
	}
	clock.Advance(time.Hour) // 7, 8 expired; 0, 3, 6, 9 never expire
	if n, _ := s.Sweep(ctx); n != 2 {
		t.Fatalf("third Sweep = %d, want 2", n)
	}
	var live int
	for _, p := range []string{"p0", "p1"} {
		items, err := s.Query(ctx, p, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		live += len(items)
	}
	if live != 4 {
		t.Fatalf("live items = %d, want 4", live)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	dir := t.TempDir()
	open(t, bolt.Config{Dir: dir})
	// bbolt's flock is per open file description, so a second Open in the
	// same process contends like another process would.
	_, err := bolt.Open(bolt.Config{Dir: dir, OpenTimeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("second Open of a locked file succeeded")
	}
}

// BenchmarkPutIfAbsent measures one durable IfAbsent Put (a saga barrier
// write) per op, with and without group commit, sequential and parallel.
func BenchmarkPutIfAbsent(b *testing.B) {
	for _, mode := range []struct {
		name string
		cfg  bolt.Config
	}{
		{"fsync", bolt.Config{}},
		{"fsync+group", bolt.Config{GroupCommit: true}},
	} {
		for _, parallel := range []bool{false, true} {
			name := mode.name + "/sequential"
			if parallel {
				name = mode.name + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				cfg := mode.cfg
				cfg.Dir = b.TempDir()
				s := open(b, cfg)
				ctx := context.Background()
				var seq atomic.Int64
				put := func() {
					i := seq.Add(1)
					key := store.Key{Partition: fmt.Sprintf("saga-%d", i%64), Sort: fmt.Sprintf("barrier#%d", i)}
					if _, err := s.Put(ctx, store.Item{Key: key, Value: []byte(`{"step":"reserve","ok":true}`)}, store.Condition{IfAbsent: true}); err != nil && !errors.Is(err, store.ErrConditionFailed) {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				if parallel {
					b.SetParallelism(16) // 16 goroutines per core: many sagas in flight
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							put()
						}
					})
				} else {
					for i := 0; i < b.N; i++ {
						put()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
			})
		}
	}
}

// BenchmarkDiskFsync is the floor under every durable write: one 4 KiB
// write and fsync of a file in the data directory's file system, with its
// p50 and p99. A step that makes two durable writes cannot answer faster
// than two of these.
func BenchmarkDiskFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "probe"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	lat := make([]time.Duration, 0, b.N)
	i := 0
	for b.Loop() {
		if _, err := f.WriteAt(page, int64(i%16)*4096); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
