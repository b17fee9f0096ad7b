// Package dynamotest holds test helpers for the DynamoDB store: a store on a
// table of its own, so tests sharing one DynamoDB endpoint (moto) share no
// state. The tables are left behind; the endpoint is expected to die with
// the test.
package dynamotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/cogniforge/cogniforge/pkg/store/dynamo"
)

// NewStore creates a new table on db, named after the test, and returns a
// store on it configured by cfg: cfg.Table is set to the new table, and
// cfg.Client defaults to db (set it to wrap db, to count requests say).
// Any failure fails the test.
func NewStore(t testing.TB, db *dynamodb.Client, cfg dynamo.Config) *dynamo.Store {
	t.Helper()
	cfg.Table = TableName(t)
	if err := dynamo.CreateTable(context.Background(), db, cfg.Table, 10*time.Second); err != nil {
		t.Fatalf("dynamotest: create table %s: %v", cfg.Table, err)
	}
	if cfg.Client == nil {
		cfg.Client = db
	}
	s, err := dynamo.New(cfg)
	if err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	return s
}

// TableName is a valid DynamoDB table name, unique to this call, that says
// which test made it.
func TableName(t testing.TB) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, t.Name())
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return name + "-" + hex.EncodeToString(b[:])
}
