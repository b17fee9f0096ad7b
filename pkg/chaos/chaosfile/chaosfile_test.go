package chaosfile_test

import (
	"context"
	"os"
	"testing"

	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaosfile"
	"github.com/cogniforge/cogniforge/pkg/chaos/chaostest"
)

func TestContract(t *testing.T) {
	chaostest.RunStore(t, func(t *testing.T) chaos.Store { return chaosfile.Store{Dir: t.TempDir()} })
}

// A corrupt file is an error to readers (the injector then injects
// nothing), and an update replaces it.
func TestCorruptFile(t *testing.T) {
	st := chaosfile.Store{Dir: t.TempDir()}
	if err := os.WriteFile(st.Path(), []byte(`{"faults": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Load(context.Background()); err == nil {
		t.Fatal("corrupt file read as a document")
	}
	if err := st.Update(context.Background(), func(d *chaos.Document) error { d.Faults = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if doc, err := st.Load(context.Background()); err != nil || len(doc.Faults) != 0 {
		t.Fatalf("after repair: %+v %v", doc, err)
	}
}
