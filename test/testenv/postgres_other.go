//go:build !unix

package testenv

import (
	"net"
	"strconv"
	"testing"
)

// PostgresInstall says how to get PostgreSQL when it is missing.
const PostgresInstall = "PostgreSQL 15 (initdb and postgres on PATH) on a unix system"

// Postgres is a PostgreSQL server started for one test.
type Postgres struct {
	Host          string
	Port          int
	SuperUser     string
	SuperPassword string
	Database      string
	Dir           string
}

// Addr is "host:port".
func (p Postgres) Addr() string { return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) }

// StartPostgres fails: the harness runs the server as a unix user.
func StartPostgres(t testing.TB) Postgres {
	t.Helper()
	t.Fatalf("testenv: StartPostgres needs %s", PostgresInstall)
	return Postgres{}
}
