//go:build unix

package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// PostgresInstall says how to get initdb and postgres when they are missing.
const PostgresInstall = "apt-get install postgresql-15 (and put /usr/lib/postgresql/15/bin on PATH)"

// postgresStartTimeout bounds how long StartPostgres waits for the server
// to accept connections.
const postgresStartTimeout = 30 * time.Second

// Postgres is a PostgreSQL server started for one test. It listens on
// Host:Port and authenticates TCP clients with scram-sha-256 only (no
// trust), like a managed database would.
type Postgres struct {
	Host string
	Port int
	// SuperUser and SuperPassword log in as the bootstrap superuser.
	SuperUser     string
	SuperPassword string
	// Database is the database that exists from the start ("postgres").
	Database string
	// Dir holds the data directory, the unix socket and the server log.
	Dir string
}

// Addr is "host:port".
func (p Postgres) Addr() string { return net.JoinHostPort(p.Host, strconv.Itoa(p.Port)) }

// URL is a connection URL for user and password on Database, with TLS off
// (the test server has no certificate).
func (p Postgres) URL(user, password string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, password, p.Addr(), p.Database)
}

// StartPostgres initialises a fresh cluster in a temporary directory and
// starts PostgreSQL on 127.0.0.1 and a free port; the server is stopped and
// the directory removed when the test ends. The server refuses to run as
// root, so when the test runs as root initdb and postgres run as the user
// "postgres" (the directory is given to that user). The test fails, naming
// what to install, when initdb or postgres is missing.
func StartPostgres(t testing.TB) Postgres {
	t.Helper()
	initdb := RequireTool(t, "initdb", PostgresInstall)
	server := RequireTool(t, "postgres", PostgresInstall)

	// Not t.TempDir: its parent is private to the test's user, and the
	// server's user must be able to reach its data directory.
	dir, err := os.MkdirTemp("", "cogniforge-pg-*")
	if err != nil {
		t.Fatalf("testenv: postgres dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testenv: running as root, PostgreSQL must run as user postgres, which does not exist (%v); %s creates it", err, PostgresInstall)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("testenv: chown %s: %v", dir, err)
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.SysProcAttr = procAttr()
		cmd.SysProcAttr.Credential = cred
		return cmd
	}

	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	pg := Postgres{Host: "127.0.0.1", Port: FreePort(t), SuperUser: "postgres", SuperPassword: hex.EncodeToString(secret), Database: "postgres", Dir: dir}
	pwfile := filepath.Join(dir, "pwfile")
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(pwfile, []byte(pg.SuperPassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		_ = os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	if out, err := command(initdb, "-D", data, "-U", pg.SuperUser, "--pwfile", pwfile, "--auth", "scram-sha-256",
		"-E", "UTF8", "--locale", "C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	// Password logins over TCP only; no trust line anywhere.
	hba := "host all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		_ = os.Chown(filepath.Join(data, "pg_hba.conf"), int(cred.Uid), int(cred.Gid))
	}
	// The log goes to a file the server writes directly, so reading it
	// while the server runs races with nothing.
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	serverLog := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	cmd := command(server, "-D", data,
		"-c", "listen_addresses="+pg.Host,
		"-c", "port="+strconv.Itoa(pg.Port),
		"-c", "unix_socket_directories="+dir,
		"-c", "password_encryption=scram-sha-256",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("testenv: start postgres: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGINT is PostgreSQL's "fast shutdown": it ends sessions and
		// exits without waiting for clients.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	// The server is ready when postmaster.pid's status line says so; that
	// is the condition pg_ctl -w waits for.
	deadline := time.NewTimer(postgresStartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		b, _ := os.ReadFile(filepath.Join(data, "postmaster.pid"))
		if lines := bytes.Split(b, []byte("\n")); len(lines) > 7 && bytes.HasPrefix(bytes.TrimSpace(lines[7]), []byte("ready")) {
			return pg
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("testenv: postgres exited before it was ready: %v\n%s", err, serverLog())
		case <-deadline.C:
			t.Fatalf("testenv: postgres not ready after %v\n%s", postgresStartTimeout, serverLog())
		case <-tick.C:
		}
	}
}
