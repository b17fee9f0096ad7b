package chaosfn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl"
	"github.com/cogniforge/cogniforge/pkg/chaos"
	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/adapter"
	"github.com/cogniforge/cogniforge/pkg/faas/cehttp"
	"github.com/cogniforge/cogniforge/pkg/registry/slofn"
	"github.com/cogniforge/cogniforge/pkg/sfnlocal"
	"github.com/cogniforge/cogniforge/pkg/slo"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// prober evaluates an experiment's probes with the function's ports: SLOs
// over the store, HTTP over the network or (function probes, locally)
// through a function's handler in-process, state machines in the local
// engine over the functions in-process (locally: their definitions are
// files).
type prober struct {
	p    wiring.Ports
	deps Deps
	http *http.Client

	once sync.Once
	fns  []faas.Function
	err  error
}

func (pr *prober) functions() ([]faas.Function, error) {
	pr.once.Do(func() {
		if pr.deps.Functions == nil {
			pr.err = fmt.Errorf("no functions to run in-process")
			return
		}
		pr.fns, pr.err = pr.deps.Functions(pr.p)
	})
	return pr.fns, pr.err
}

func (pr *prober) options() []adapter.Option {
	return []adapter.Option{adapter.WithLogger(pr.p.Logger), adapter.WithValidator(pr.p.Catalog)}
}

func (pr *prober) now() time.Time {
	if pr.p.Now != nil {
		return pr.p.Now()
	}
	return time.Now()
}

func (pr *prober) sloStatus(ctx context.Context, name string) (slo.Status, error) {
	defs, err := slofn.Definitions(ctx, pr.p)
	if err != nil {
		return slo.Status{}, err
	}
	var pick []slo.SLO
	for _, d := range defs {
		if d.Name == name {
			pick = append(pick, d)
		}
	}
	if len(pick) == 0 {
		return slo.Status{}, fmt.Errorf("no SLO %q", name)
	}
	ev, err := slo.NewEvaluator(slo.EvaluatorConfig{Store: pr.p.Store, SLOs: pick})
	if err != nil {
		return slo.Status{}, err
	}
	st, err := ev.Status(ctx, pr.now())
	if err != nil || len(st) == 0 {
		return slo.Status{}, fmt.Errorf("SLO %q status: %v", name, err)
	}
	return st[0], nil
}

func (pr *prober) Firing(ctx context.Context, name, severity string) (bool, error) {
	st, err := pr.sloStatus(ctx, name)
	if err != nil {
		return false, err
	}
	for _, a := range st.Alerts {
		if a.Severity == severity && a.State == "firing" {
			return true, nil
		}
	}
	return false, nil
}

func (pr *prober) Probe(ctx context.Context, p chaos.Probe, run chaos.ProbeRun) chaos.ProbeResult {
	res := chaos.ProbeResult{Name: p.Name}
	fail := func(format string, args ...any) chaos.ProbeResult {
		res.Held, res.Detail = false, fmt.Sprintf(format, args...)
		return res
	}
	switch p.Type {
	case chaos.ProbeSLOBurnRate, chaos.ProbeSLOErrorRate:
		st, err := pr.sloStatus(ctx, p.SLO)
		if err != nil {
			return fail("%v", err)
		}
		var v float64
		if p.Type == chaos.ProbeSLOBurnRate {
			w := p.Window
			if w == "" {
				w = "1h"
			}
			b, ok := st.BurnRates[w]
			if !ok {
				return fail("SLO %s has no %s burn rate", p.SLO, w)
			}
			v = b
		} else if st.SLI != nil {
			v = 1 - *st.SLI
		}
		res.Value = &v
		res.Held = v <= *p.Max
		res.Detail = fmt.Sprintf("%s %s = %.4g (max %.4g)", p.SLO, p.Type, v, *p.Max)
		return res
	case chaos.ProbeHTTP:
		status, err := pr.httpStatus(ctx, p)
		if err != nil {
			return fail("%v", err)
		}
		v := float64(status)
		res.Value = &v
		res.Held = status == p.ExpectedStatus
		res.Detail = fmt.Sprintf("answered %d, expected %d", status, p.ExpectedStatus)
		return res
	case chaos.ProbeStateMachine:
		return pr.stateMachine(ctx, p, run)
	}
	return fail("unknown probe type %q", p.Type)
}

func (pr *prober) httpStatus(ctx context.Context, p chaos.Probe) (int, error) {
	method := p.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if p.URL != "" {
		req, err := http.NewRequestWithContext(ctx, method, p.URL, body)
		if err != nil {
			return 0, err
		}
		resp, err := pr.http.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	fns, err := pr.functions()
	if err != nil {
		return 0, err
	}
	for _, fn := range fns {
		if fn.Name == p.Function {
			rec := httptest.NewRecorder()
			req := httptest.NewRequestWithContext(ctx, method, p.Path, body)
			req.Header.Set("Content-Type", "application/json")
			// In-process: the caller is the injector itself, already
			// trusted; the authorizer is left out.
			cehttp.NewHandler(fn, pr.options()...).ServeHTTP(rec, req)
			return rec.Code, nil
		}
	}
	return 0, fmt.Errorf("no function %q", p.Function)
}

// findFile resolves a definition path: as given, else under the working
// directory's ancestors (tests run in package directories).
func findFile(p string) (string, error) {
	if _, err := os.Stat(p); err == nil || filepath.IsAbs(p) {
		return p, err
	}
	dir, _ := os.Getwd()
	for {
		c := filepath.Join(dir, p)
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s: not found", p)
		}
		dir = parent
	}
}

func (pr *prober) stateMachine(ctx context.Context, p chaos.Probe, run chaos.ProbeRun) chaos.ProbeResult {
	res := chaos.ProbeResult{Name: p.Name}
	path, err := findFile(p.Definition)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	sm, err := asl.Compile(raw)
	if err != nil {
		res.Detail = fmt.Sprintf("%s: %v", p.Definition, err)
		return res
	}
	fns, err := pr.functions()
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	inv, err := sfnlocal.NewInvoker(sfnlocal.InvokerConfig{Functions: fns, Options: pr.options(), Bus: pr.p.Bus})
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	known := map[string]bool{}
	for _, fn := range fns {
		known[fn.Name] = true
	}
	resolve := func(n string) string {
		return sfnlocal.ResolveFunctionName(n, sfnlocal.DefaultFunctionPrefix, func(s string) bool { return known[s] })
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".json"), ".asl")
	failed := map[string]int{}
	nFailed := 0
	for i := range p.Count {
		input, err := expand(p.Input, map[string]string{"experiment": run.Experiment, "run": run.Run, "phase": run.Phase, "i": strconv.Itoa(i)})
		if err != nil {
			res.Detail = err.Error()
			return res
		}
		_, out, err := sm.Run(ctx, asl.ExecutionConfig{StateMachineName: name, Input: input, Invoker: inv, FunctionName: resolve, MaxTransitions: 100000})
		switch {
		case err != nil:
			nFailed++
			failed[err.Error()]++
		case out.Status != asl.StatusSucceeded:
			nFailed++
			failed[out.Error]++
		}
	}
	v := float64(nFailed) / float64(p.Count)
	bound := 0.0
	if p.MaxFailureRate != nil {
		bound = *p.MaxFailureRate
	}
	res.Value, res.Held = &v, v <= bound
	var parts []string
	for e, n := range failed {
		parts = append(parts, fmt.Sprintf("%s x%d", e, n))
	}
	sort.Strings(parts)
	res.Detail = fmt.Sprintf("%d of %d executions of %s did not succeed (max rate %.2g)", nFailed, p.Count, name, bound)
	if len(parts) > 0 {
		res.Detail += ": " + strings.Join(parts, ", ")
	}
	return res
}

// expand substitutes {{key}} in every string of a JSON input.
func expand(raw json.RawMessage, vars map[string]string) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case string:
			for k, val := range vars {
				t = strings.ReplaceAll(t, "{{"+k+"}}", val)
			}
			return t
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return x
	}
	return walk(v), nil
}
