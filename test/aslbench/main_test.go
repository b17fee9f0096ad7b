package aslbench_test

import (
	"os"
	"testing"

	"github.com/cogniforge/cogniforge/test/testenv"
)

// cli is the cogniforge binary, built once for the package by TestMain, as
// a user gets it from `make cli`: the benchmarks time the whole process.
var cli string

func TestMain(m *testing.M) { os.Exit(testenv.MainWithCLI(m, &cli)) }
