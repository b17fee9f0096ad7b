// Command sfnproxy serves test/sfnproxy in front of a running moto_server, so
// `make deploy-local` works against moto where LocalStack cannot run:
//
//	moto_server -p 5000 &
//	go run ./test/sfnproxy/cmd/sfnproxy -target http://127.0.0.1:5000 -addr 127.0.0.1:4566
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"

	"github.com/cogniforge/cogniforge/test/sfnproxy"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4566", "address to listen on")
	target := flag.String("target", "http://127.0.0.1:5000", "moto_server endpoint")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fmt.Fprintf(os.Stderr, "sfnproxy: bad -target %q\n", *target)
		os.Exit(2)
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	log.Printf("sfnproxy: %s -> %s", *addr, u)
	if err := http.ListenAndServe(*addr, sfnproxy.New(u, sfnproxy.WithLogf(logger.Printf))); err != nil {
		fmt.Fprintln(os.Stderr, "sfnproxy:", err)
		os.Exit(1)
	}
}
