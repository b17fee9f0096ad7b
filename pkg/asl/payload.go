package asl

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cogniforge/cogniforge/pkg/asl/intrinsic"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// template is a compiled payload template (Parameters, ResultSelector,
// ItemSelector): keys ending in ".$" are resolved against the input or the
// context object, everything else is literal.
type template struct {
	root tnode
}

type tnodeKind uint8

const (
	tLiteral tnodeKind = iota
	tPath
	tContextPath
	tIntrinsic
	tObject
	tArray
)

type tnode struct {
	kind tnodeKind
	lit  any
	*dyn // paths and intrinsics
	// members (tObject) and elems (tArray) are the output with its literal
	// values in place and a *tnode for each value computed on each eval
	// (JSON values are never a *tnode).
	members []jsonv.Member
	elems   []any
}

// dyn is a path or intrinsic of a template. Definitions repeat the same
// few ("x.$": "$.x" in every state), so the compiler shares one per field
// and source.
type dyn struct {
	kind  tnodeKind
	field string // the key as written, for error messages
	src   string
	path  *jsonpath.Path
	expr  *intrinsic.Expr
}

type dynKey struct{ field, src string }

// shareDyn returns the compiler's node for d, recording one when it has
// none.
func (c *compiler) shareDyn(d dyn) *tnode {
	k := dynKey{d.field, d.src}
	if n, ok := c.dyns[k]; ok {
		return n
	}
	n := &tnode{kind: d.kind, dyn: new(dyn)}
	*n.dyn = d
	if c.dyns == nil {
		c.dyns = map[dynKey]*tnode{}
	}
	c.dyns[k] = n
	return n
}

// template compiles a payload template at path.
func (c *compiler) template(path where, v any) *template {
	return &template{root: c.tnode(path, "", v)}
}

func (c *compiler) tnode(path where, field string, v any) tnode {
	switch t := v.(type) {
	case *jsonv.Object:
		// Template order is the order of the object built from it.
		members := t.Members()
		n := tnode{kind: tObject, members: make([]jsonv.Member, 0, len(members))}
		dynamic := false
		for _, mem := range members {
			k, val := mem.Key, mem.Value
			if strings.HasSuffix(k, ".$") {
				s, ok := val.(string)
				if !ok {
					c.errf(path.add(k).String(), "the value of a field ending in .$ must be a string path or intrinsic")
					continue
				}
				child, ok := c.valueNode(path.add(k), k, s)
				if !ok {
					continue
				}
				n.members = append(n.members, jsonv.Member{Key: k[:len(k)-2], Value: child})
				dynamic = true
				continue
			}
			switch val.(type) {
			case *jsonv.Object, []any:
				if child := c.tnode(path.add(k), k, val); child.kind != tLiteral {
					val, dynamic = &child, true
				}
			}
			n.members = append(n.members, jsonv.Member{Key: k, Value: val})
		}
		if !dynamic {
			return tnode{kind: tLiteral, lit: v}
		}
		return n
	case []any:
		n := tnode{kind: tArray, elems: make([]any, len(t))}
		dynamic := false
		for i, e := range t {
			n.elems[i] = e
			switch e.(type) {
			case *jsonv.Object, []any:
				if child := c.tnode(fixed(fmt.Sprintf("%s[%d]", path, i)), field, e); child.kind != tLiteral {
					n.elems[i], dynamic = &child, true
				}
			}
		}
		if !dynamic {
			return tnode{kind: tLiteral, lit: v}
		}
		return n
	}
	return tnode{kind: tLiteral, lit: v}
}

// valueNode compiles the string value s of the "key.$" field at path.
func (c *compiler) valueNode(path where, field, s string) (*tnode, bool) {
	if n, ok := c.dyns[dynKey{field, s}]; ok {
		return n, true
	}
	switch {
	case strings.HasPrefix(s, "$$"):
		p, err := c.compilePath(s[1:])
		if err != nil {
			c.errf(path.String(), "%v", err)
			return nil, false
		}
		return c.shareDyn(dyn{kind: tContextPath, field: field, src: s, path: p}), true
	case strings.HasPrefix(s, "$"):
		p, err := c.compilePath(s)
		if err != nil {
			c.errf(path.String(), "%v", err)
			return nil, false
		}
		return c.shareDyn(dyn{kind: tPath, field: field, src: s, path: p}), true
	case intrinsic.IsIntrinsic(s):
		before := len(c.errs)
		e := c.compileIntrinsic(path.String(), s)
		if e == nil {
			return nil, false
		}
		d := dyn{kind: tIntrinsic, field: field, src: s, expr: e}
		if len(c.errs) > before {
			// Not shared, so that every use reports its own errors.
			return &tnode{kind: tIntrinsic, dyn: &d}, true
		}
		return c.shareDyn(d), true
	}
	c.errf(path.String(), "%q is neither a path nor an intrinsic function", s)
	return nil, false
}

func (t *template) eval(f *frame, input any) (any, *Error) {
	return t.root.eval(f, input)
}

func (n *tnode) eval(f *frame, input any) (any, *Error) {
	switch n.kind {
	case tLiteral:
		return n.lit, nil
	case tObject:
		var buf [8]jsonv.Member
		var m []jsonv.Member
		if len(n.members) <= len(buf) {
			m = buf[:len(n.members)]
		} else {
			m = make([]jsonv.Member, len(n.members))
		}
		copy(m, n.members)
		for i := range m {
			if t, ok := m[i].Value.(*tnode); ok {
				v, err := t.eval(f, input)
				if err != nil {
					return nil, err
				}
				m[i].Value = v
			}
		}
		return jsonv.NewObjectCopy(m), nil
	case tArray:
		a := make([]any, len(n.elems))
		copy(a, n.elems)
		for i := range a {
			if t, ok := a[i].(*tnode); ok {
				v, err := t.eval(f, input)
				if err != nil {
					return nil, err
				}
				a[i] = v
			}
		}
		return a, nil
	case tPath:
		v, err := n.path.Get(input)
		if err != nil {
			return nil, errorf(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'",
				n.src, n.field, compactJSON(input))
		}
		return v, nil
	case tContextPath:
		v, err := n.path.Get(f.contextObject())
		if err != nil {
			return nil, errorf(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the context object",
				n.src, n.field)
		}
		return v, nil
	case tIntrinsic:
		v, err := n.expr.Eval(f.resolver(input))
		if err != nil {
			return nil, intrinsicError(n.src, err)
		}
		return v, nil
	}
	return nil, errorf(ErrRuntime, "unknown template node")
}

// intrinsicError names an intrinsic failure. Failures in JSONPath payload
// templates are reported as States.Runtime by AWS (conformance case 64).
func intrinsicError(src string, err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var ie *intrinsic.Error
	if errors.As(err, &ie) {
		return errorf(ie.Name, "The function '%s' had the following error: %s", src, ie.Cause)
	}
	return errorf(ErrRuntime, "The function '%s' had the following error: %v", src, err)
}

// valueExpr is a Fail state's ErrorPath/CausePath: a reference path (also
// into the context object) or an intrinsic function.
type valueExpr struct {
	node *tnode
}

func (c *compiler) valueExpr(path, field string, v any) *valueExpr {
	s, ok := v.(string)
	if !ok {
		c.errf(path, "must be a string path or intrinsic function")
		return nil
	}
	n, ok := c.valueNode(fixed(path), field, s)
	if !ok {
		return nil
	}
	return &valueExpr{node: n}
}

func (e *valueExpr) eval(f *frame, input any) (any, *Error) { return e.node.eval(f, input) }

// frame is what a state sees while it runs: its execution, name, entry time
// and retry count, and inside a Map's ItemSelector the current item.
type frame struct {
	ex         *Execution
	st         *state
	entered    time.Time
	retryCount int
	item       *mapItem
	token      string
	// resumed: the state was entered by a previous process (ResumePoint).
	resumed bool
}

type mapItem struct {
	index int
	value any
}

// contextObject builds the context object ($$) on demand; only states that
// read it pay for it.
func (f *frame) contextObject() *jsonv.Object {
	// Members in the order of the context object's documented shape.
	ex := f.ex
	ctx := make([]jsonv.Member, 0, 5)
	ctx = append(ctx, jsonv.Member{Key: "Execution", Value: object(
		"Id", ex.arn,
		"Input", ex.input,
		"Name", ex.name,
		"RoleArn", ex.roleArn,
		"StartTime", formatTime(ex.startTime),
		"RedriveCount", float64(0),
	)})
	if f.st != nil {
		ctx = append(ctx, jsonv.Member{Key: "State", Value: object(
			"EnteredTime", formatTime(f.entered),
			"Name", f.st.name,
			"RetryCount", float64(f.retryCount),
		)})
	}
	ctx = append(ctx, jsonv.Member{Key: "StateMachine", Value: object(
		"Id", ex.stateMachineARN,
		"Name", ex.stateMachineName,
	)})
	if f.token != "" {
		ctx = append(ctx, jsonv.Member{Key: "Task", Value: object("Token", f.token)})
	}
	if f.item != nil {
		ctx = append(ctx, jsonv.Member{Key: "Map", Value: object("Item", object("Index", float64(f.item.index), "Value", f.item.value))})
	}
	return jsonv.NewObject(ctx)
}

// object builds an object from alternating keys and values, in that order.
func object(kv ...any) *jsonv.Object {
	m := make([]jsonv.Member, len(kv)/2)
	for i := range m {
		m[i] = jsonv.Member{Key: kv[2*i].(string), Value: kv[2*i+1]}
	}
	return jsonv.NewObject(m)
}

// resolver gives intrinsic functions access to the input and the context.
func (f *frame) resolver(input any) intrinsic.Resolver {
	return func(path string) (any, error) {
		var root any = input
		src := path
		if strings.HasPrefix(path, "$$") {
			root = f.contextObject()
			src = path[1:]
		}
		p, err := f.ex.sm.paths.get(src)
		if err != nil {
			return nil, errorf(ErrRuntime, "invalid path %q: %v", path, err)
		}
		v, err := p.Get(root)
		if err != nil {
			return nil, errorf(ErrRuntime, "The JSONPath '%s' could not be found in the input '%s'", path, compactJSON(input))
		}
		return v, nil
	}
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// applyInputPath selects the effective input.
func applyInputPath(pf pathField, field string, raw any) (any, *Error) {
	if pf.null {
		return jsonv.NewObject(nil), nil
	}
	if pf.path == nil {
		return raw, nil
	}
	v, err := pf.path.Get(raw)
	if err != nil {
		return nil, errorf(ErrRuntime, "Invalid path '%s' : %s could not be found in the input '%s'",
			pf.path.String(), field, compactJSON(raw))
	}
	return v, nil
}

// applyResultPath combines the raw input and the result.
func applyResultPath(pf pathField, raw, result any) (any, *Error) {
	if pf.null {
		return raw, nil
	}
	if pf.path == nil {
		return result, nil
	}
	out, err := pf.path.Set(raw, result)
	if err != nil {
		return nil, errorf(ErrResultPathMatchFailure, "Unable to apply ResultPath '%s' to input '%s': %v",
			pf.path.String(), compactJSON(raw), err)
	}
	return out, nil
}

// dataFlow is a query language's data processing for one state. The
// interpreter calls input, then arguments, runs the state, then output (or
// passOutput for states without a result, catchOutput for a caught error).
// JSONPath is implemented by jsonPathFlow; JSONata (Arguments, Output,
// Assign) would be a second implementation chosen per state.
type dataFlow interface {
	// input selects what the state works on (InputPath).
	input(f *frame, raw any) (any, *Error)
	// arguments builds the state's arguments from its input (Parameters).
	arguments(f *frame, eff any) (any, *Error)
	// output combines the raw input and the result into the state output
	// (ResultSelector, ResultPath, OutputPath).
	output(f *frame, raw, result any) (any, *Error)
	// passOutput is the output of Choice, Wait and Succeed (OutputPath).
	passOutput(f *frame, eff any) (any, *Error)
	// catchOutput is the input of a catcher's Next (the catcher's ResultPath).
	catchOutput(f *frame, c *catcher, raw any, e *Error) (any, *Error)
}

type jsonPathFlow struct {
	inputPath, outputPath, resultPath pathField
	parameters, resultSelector        *template
}

func (j *jsonPathFlow) input(_ *frame, raw any) (any, *Error) {
	return applyInputPath(j.inputPath, "InputPath", raw)
}

func (j *jsonPathFlow) arguments(f *frame, eff any) (any, *Error) {
	if j.parameters == nil {
		return eff, nil
	}
	return j.parameters.eval(f, eff)
}

func (j *jsonPathFlow) output(f *frame, raw, result any) (any, *Error) {
	if j.resultSelector != nil {
		var err *Error
		if result, err = j.resultSelector.eval(f, result); err != nil {
			return nil, err
		}
	}
	out, err := applyResultPath(j.resultPath, raw, result)
	if err != nil {
		return nil, err
	}
	return applyInputPath(j.outputPath, "OutputPath", out)
}

func (j *jsonPathFlow) passOutput(_ *frame, eff any) (any, *Error) {
	return applyInputPath(j.outputPath, "OutputPath", eff)
}

func (j *jsonPathFlow) catchOutput(_ *frame, c *catcher, raw any, e *Error) (any, *Error) {
	return applyResultPath(c.resultPath, raw, e.output())
}
