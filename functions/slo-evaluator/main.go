// Command slo-evaluator evaluates every SLO each minute, publishes its
// burn-rate alerts once, and serves SLO status and history over its
// function URL (see pkg/slo Evaluator). This file is only wiring.
package main

import (
	"os"

	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

func main() { os.Exit(wiring.Main(slofn.Evaluator, slofn.BuildEvaluator)) }
