package bolt_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
	"github.com/cogniforge/cogniforge/pkg/store/bolt"
)

// The embedded store keeps what it acknowledged across a restart: an item
// written before Close is there, at the same version, when the data directory
// is opened again. Expired items are hidden on read and removed by Sweep.
func Example() {
	dir, err := os.MkdirTemp("", "cogniforge-data-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	st, err := bolt.Open(bolt.Config{Dir: dir, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	key := store.Key{Partition: "order#o-1", Sort: "state"}
	_, _ = st.Put(ctx, store.Item{Key: key, Value: []byte("pending")}, store.Condition{IfAbsent: true})
	_, _ = st.Put(ctx, store.Item{Key: key, Value: []byte("confirmed")}, store.Condition{IfVersion: 1})
	lease := store.Item{Key: store.Key{Partition: "order#o-1", Sort: "lease"}, Value: []byte("worker-7"), ExpiresAt: now.Add(time.Minute)}
	_, _ = st.Put(ctx, lease, store.Condition{IfAbsent: true})
	fmt.Println("close:", st.Close())

	// A new process (here: the same one) opens the directory again.
	now = now.Add(2 * time.Minute) // the lease has expired meanwhile
	st, err = bolt.Open(bolt.Config{Dir: dir, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	it, err := st.Get(ctx, key)
	fmt.Printf("%s v%d %v\n", it.Value, it.Version, err)
	items, _ := st.Query(ctx, "order#o-1", "", 0)
	fmt.Println("live items:", len(items))
	swept, err := st.Sweep(ctx)
	fmt.Println("swept:", swept, err)
	// Output:
	// close: <nil>
	// confirmed v2 <nil>
	// live items: 1
	// swept: 1 <nil>
}
