package asl

import (
	"context"
	"errors"
	"math"
	"sync"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
	"github.com/cogniforge/cogniforge/pkg/clock"
)

func (ex *Execution) execMap(ctx context.Context, th *thread, f *frame, st *state, raw any) (any, *state, error) {
	eff, aerr := st.flow.input(f, raw)
	if aerr != nil {
		return nil, nil, aerr
	}
	itemsV := eff
	if st.reader != nil {
		v, err := ex.readItems(ctx, f, st, eff)
		if err != nil {
			return nil, nil, err
		}
		itemsV = v
	} else if st.itemsPath.null {
		itemsV = jsonv.NewObject(nil)
	} else if st.itemsPath.path != nil {
		v, err := st.itemsPath.path.Get(eff)
		if err != nil {
			return nil, nil, errorf(ErrRuntime, "Invalid path '%s': the ItemsPath could not be found in the input '%s'", st.itemsPath.path, compactJSON(eff))
		}
		itemsV = v
	}
	items, ok := itemsV.([]any)
	if !ok {
		return nil, nil, errorf(ErrRuntime, "Map state '%s': the items must be a JSON array, got %s", st.name, compactJSON(itemsV))
	}

	selected := false
	if st.batcher != nil {
		batches, err := ex.batchItems(f, st, eff, items)
		if err != nil {
			return nil, nil, err
		}
		items, selected = batches, true
	}

	limit := st.maxConcurrency
	if st.maxConcurrencyPath != nil {
		n, err := nonNegInt(st.maxConcurrencyPath, eff, "MaxConcurrencyPath")
		if err != nil {
			return nil, nil, err
		}
		limit = n
	}
	maxLimit := ex.cfg.MaxConcurrency
	if maxLimit == 0 {
		maxLimit = 1000
	}
	if limit == 0 || limit > maxLimit {
		limit = maxLimit
	}
	if limit > len(items) {
		limit = len(items)
	}

	tolerance, tolerant, terr := ex.tolerance(st, eff, len(items))
	if terr != nil {
		return nil, nil, terr
	}

	started := ex.eventLazy(th, "MapStateStarted", "mapStateStartedEventDetails", func() map[string]any {
		return map[string]any{"length": len(items)}
	})
	results := make([]any, len(items))
	errs := make([]error, len(items))
	var (
		mu       sync.Mutex
		failures int
		exceeded bool
		stopFeed bool
		sibs     siblings
		wg       sync.WaitGroup
	)
	fail := func(i int) {
		mu.Lock()
		stopFeed = true
		mu.Unlock()
		sibs.failed(i)
	}
	// Virtual time (FastClock): without a concurrency limit every item has
	// its own lane, so all waits overlap; with one, each worker is a lane and
	// the items it runs one after another add up, as they would in real time.
	var last lastEvent
	fork, join := clock.ForkLanes(ctx)
	unlimited := st.maxConcurrency == 0 && st.maxConcurrencyPath == nil
	var (
		lanesMu sync.Mutex
		lanes   []*clock.Lane
	)
	newLane := func() context.Context {
		lctx, l := fork()
		lanesMu.Lock()
		lanes = append(lanes, l)
		lanesMu.Unlock()
		return lctx
	}
	work := make(chan int)
	for w := 0; w < limit; w++ {
		workerCtx := newLane()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				lctx := workerCtx
				if unlimited {
					lctx = newLane()
				}
				ictx, done := sibs.start(lctx, i)
				out, err := ex.runIteration(ictx, th.budget, started, &last, f, st, eff, i, items[i], selected)
				done()
				if err == nil {
					results[i] = out
					continue
				}
				if errors.Is(err, errBranchCancelled) {
					errs[i] = err
					continue
				}
				var se *stopError
				if tolerant && !errors.As(err, &se) && !asError(err).terminal() {
					mu.Lock()
					failures++
					results[i] = asError(err).output()
					over := float64(failures) > tolerance && !exceeded
					if over {
						exceeded = true
					}
					mu.Unlock()
					if over {
						fail(-1) // every running iteration stops
					}
					continue
				}
				errs[i] = err
				fail(i)
			}
		}()
	}
	for i := range items {
		mu.Lock()
		stop := stopFeed
		mu.Unlock()
		if stop || ex.stopped(ctx) != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	join(lanes)
	last.follow(th)
	err := pickFailure(ex.stopped(ctx), errs)
	if exceeded {
		if stop := ex.stopped(ctx); stop != nil {
			err = stop
		} else {
			err = errorf(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
		}
	}
	if err != nil {
		ex.event(th, "MapStateFailed", "", nil)
		return nil, nil, err
	}
	ex.event(th, "MapStateSucceeded", "", nil)
	return ex.finishWithSelector(f, st, raw, results)
}

// tolerance returns how many failed items a Map tolerates; tolerant is false
// when no ToleratedFailure* field is set (any failure fails the Map).
func (ex *Execution) tolerance(st *state, eff any, n int) (float64, bool, *Error) {
	count, pct := st.toleratedCount, st.toleratedPercent
	hasCount, hasPct := st.hasToleratedCount, st.hasToleratedPct
	if st.toleratedCountPath != nil {
		c, err := nonNegInt(st.toleratedCountPath, eff, "ToleratedFailureCountPath")
		if err != nil {
			return 0, false, err
		}
		count, hasCount = float64(c), true
	}
	if st.toleratedPctPath != nil {
		v, err := st.toleratedPctPath.Get(eff)
		p, ok := v.(float64)
		if err != nil || !ok || p < 0 || p > 100 {
			return 0, false, errorf(ErrRuntime, "ToleratedFailurePercentagePath must reference a number between 0 and 100")
		}
		pct, hasPct = p, true
	}
	if !hasCount && !hasPct {
		return 0, false, nil
	}
	t := math.Inf(1)
	if hasCount {
		t = count
	}
	if hasPct {
		t = math.Min(t, pct/100*float64(n))
	}
	return t, true, nil
}

func nonNegInt(p interface{ Get(any) (any, error) }, eff any, field string) (int, *Error) {
	v, err := p.Get(eff)
	n, ok := v.(float64)
	if err != nil || !ok || n < 0 || n != math.Trunc(n) {
		return 0, errorf(ErrRuntime, "%s must reference a non-negative integer", field)
	}
	return int(n), nil
}

func (ex *Execution) runIteration(ctx context.Context, budget *eventBudget, started int64, last *lastEvent, f *frame, st *state, eff any, i int, item any, selected bool) (_ any, rerr error) {
	defer func() {
		if r := recover(); r != nil {
			rerr = errorf(ErrRuntime, "internal error: %v", r)
		}
	}()
	if max := ex.cfg.MaxHistoryEvents; max > 0 && st.processorMode == "DISTRIBUTED" {
		// A child execution on AWS: a history limit of its own, whose
		// end fails the iteration rather than stopping the whole
		// execution at once.
		cctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		ctx, budget = cctx, &eventBudget{cancel: cancel}
		defer func() {
			if rerr != nil && budget.exhausted(max) {
				rerr = budget.err(max)
			}
		}()
	}
	th := &thread{prev: started, budget: budget}
	defer last.add(th)
	ex.iterationEvent(th, "Started", st.name, i)
	input := item
	if st.itemSelector != nil && !selected {
		sf := *f
		sf.item = &mapItem{index: i, value: item}
		v, err := st.itemSelector.eval(&sf, eff)
		if err != nil {
			ex.iterationEvent(th, "Failed", st.name, i)
			return nil, err
		}
		input = v
	}
	out, err := ex.safeRun(ctx, th, st.processor, input)
	if err != nil {
		if errors.Is(err, errBranchCancelled) {
			ex.iterationEvent(th, "Aborted", st.name, i)
		} else {
			ex.iterationEvent(th, "Failed", st.name, i)
		}
		return nil, err
	}
	ex.iterationEvent(th, "Succeeded", st.name, i)
	return out, nil
}

// batchItems applies the ItemSelector to every item and groups the results
// into ItemBatcher batches.
func (ex *Execution) batchItems(f *frame, st *state, eff any, items []any) ([]any, *Error) {
	b := st.batcher
	maxItems, maxBytes := b.maxItems, b.maxBytes
	if b.maxItemsPath != nil {
		n, err := nonNegInt(b.maxItemsPath, eff, "MaxItemsPerBatchPath")
		if err != nil {
			return nil, err
		}
		maxItems = n
	}
	if b.maxBytesPath != nil {
		n, err := nonNegInt(b.maxBytesPath, eff, "MaxInputBytesPerBatchPath")
		if err != nil {
			return nil, err
		}
		maxBytes = n
	}
	var batchInput any
	hasBatchInput := b.batchInput != nil
	if hasBatchInput {
		v, err := b.batchInput.eval(f, eff)
		if err != nil {
			return nil, err
		}
		batchInput = v
	}
	var (
		batches []any
		cur     []any
		size    int
	)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		// BatchInput first, as AWS's ItemBatcher examples show a batch.
		var m []jsonv.Member
		if hasBatchInput {
			m = append(m, jsonv.Member{Key: "BatchInput", Value: batchInput})
		}
		m = append(m, jsonv.Member{Key: "Items", Value: cur})
		batches = append(batches, jsonv.NewObject(m))
		cur, size = nil, 0
	}
	for i, item := range items {
		in := item
		if st.itemSelector != nil {
			sf := *f
			sf.item = &mapItem{index: i, value: item}
			v, err := st.itemSelector.eval(&sf, eff)
			if err != nil {
				return nil, err
			}
			in = v
		}
		n := 0
		if maxBytes > 0 {
			n = len(compactJSON(in))
			if len(cur) > 0 && size+n > maxBytes {
				flush()
			}
		}
		cur = append(cur, in)
		size += n
		if maxItems > 0 && len(cur) >= maxItems {
			flush()
		}
	}
	flush()
	if batches == nil {
		batches = []any{}
	}
	return batches, nil
}

// iterationEvent records MapIteration<what> for item i of a Map state.
func (ex *Execution) iterationEvent(th *thread, what, name string, i int) {
	if ex.admit(th) {
		ex.record(th, "MapIteration"+what, "mapIteration"+what+"EventDetails", map[string]any{"name": name, "index": i})
	}
}
