// Command resilience-admin lists the circuit breakers shared through the
// store and the bulkheads' use, and forces a breaker open or closed for a
// while (operators, chaos experiments): an IAM-protected function URL and a
// Step Functions task. See package pkg/resilience. This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/resiliencefn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(resiliencefn.AdminName, resiliencefn.BuildAdmin)) }
