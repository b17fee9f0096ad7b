// Command slo-aggregator counts dev.cogniforge.request.completed.v1 events
// into the time buckets of every SLO that selects them, exactly once per
// event (see pkg/slo Aggregator). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(slofn.Aggregator, slofn.BuildAggregator)) }
