package intrinsic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	mrand "math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// kind is the type an argument must have or a function returns.
type kind uint8

const (
	kindAny kind = iota
	kindString
	kindNumber  // any number
	kindInteger // a whole number
	kindBool
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindInteger:
		return "an integer"
	case kindBool:
		return "a boolean"
	case kindArray:
		return "an array"
	case kindObject:
		return "an object"
	}
	return "any value"
}

// accepts reports whether a run-time value has kind k.
func (k kind) accepts(v any) bool {
	switch k {
	case kindString:
		_, ok := v.(string)
		return ok
	case kindNumber:
		_, ok := v.(float64)
		return ok
	case kindInteger:
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	case kindBool:
		_, ok := v.(bool)
		return ok
	case kindArray:
		_, ok := v.([]any)
		return ok
	case kindObject:
		_, ok := v.(*jsonv.Object)
		return ok
	}
	return true
}

// compatible reports whether a nested call returning r can be an argument of
// kind k: integers are numbers, and an unknown result type may be anything.
func (k kind) compatible(r kind) bool {
	switch {
	case k == kindAny || r == kindAny || k == r:
		return true
	case k == kindInteger && r == kindNumber, k == kindNumber && r == kindInteger:
		return true
	}
	return false
}

// function describes one intrinsic.
type function struct {
	name     string
	params   []kind
	optional int  // how many trailing params may be left out
	variadic bool // the last param repeats (any number of times, zero included)
	returns  kind
	// static checks literal arguments beyond their kind (may be nil).
	static func(e *Expr) error
	eval   func(e *Expr, args []any) (any, error)
}

func (f *function) param(i int) kind {
	if i < len(f.params) {
		return f.params[i]
	}
	return f.params[len(f.params)-1] // variadic tail
}

func (f *function) check(e *Expr) error {
	n := len(e.args)
	min, max := len(f.params)-f.optional, len(f.params)
	if f.variadic {
		min = len(f.params) - 1
	}
	switch {
	case f.variadic && n < min:
		return errorf("%s takes at least %d argument(s), got %d in %s", f.name, min, n, e.src)
	case !f.variadic && (n < min || n > max):
		want := fmt.Sprint(min)
		if min != max {
			want = fmt.Sprintf("%d to %d", min, max)
		}
		return errorf("%s takes %s argument(s), got %d in %s", f.name, want, n, e.src)
	}
	for i, a := range e.args {
		k := f.param(i)
		switch a.kind {
		case argLiteral:
			if !k.accepts(a.lit) {
				return errorf("%s: argument %d (%s) must be %s, got %s", f.name, i+1, a.source, k, describe(a.lit))
			}
		case argCall:
			if !k.compatible(a.call.fn.returns) {
				return errorf("%s: argument %d (%s) must be %s, but %s returns %s", f.name, i+1, a.source, k, a.call.fn.name, a.call.fn.returns)
			}
		}
	}
	if f.static != nil {
		return f.static(e)
	}
	return nil
}

// maxArrayRange is the most items States.ArrayRange may return, and
// maxEncodeInput the longest input of Base64Encode/Base64Decode/Hash (AWS
// limits).
const (
	maxArrayRange  = 1000
	maxEncodeInput = 10000
)

var functions = map[string]*function{}

func register(f *function) { functions[f.name] = f }

func init() {
	register(&function{name: "States.Format", params: []kind{kindString, kindAny}, variadic: true, returns: kindString,
		static: formatStatic, eval: evalFormat})
	register(&function{name: "States.StringToJson", params: []kind{kindString}, returns: kindAny, eval: evalStringToJSON})
	register(&function{name: "States.JsonToString", params: []kind{kindAny}, returns: kindString,
		eval: func(_ *Expr, a []any) (any, error) { return toJSON(a[0]), nil }})
	register(&function{name: "States.Array", params: []kind{kindAny}, variadic: true, returns: kindArray,
		eval: func(_ *Expr, a []any) (any, error) { return append([]any{}, a...), nil }})
	register(&function{name: "States.ArrayPartition", params: []kind{kindArray, kindInteger}, returns: kindArray,
		static: positiveLiteral(1), eval: evalArrayPartition})
	register(&function{name: "States.ArrayContains", params: []kind{kindArray, kindAny}, returns: kindBool,
		eval: evalArrayContains})
	register(&function{name: "States.ArrayRange", params: []kind{kindInteger, kindInteger, kindInteger}, returns: kindArray,
		static: arrayRangeStatic, eval: evalArrayRange})
	register(&function{name: "States.ArrayGetItem", params: []kind{kindArray, kindInteger}, returns: kindAny,
		static: nonNegativeLiteral(1), eval: evalArrayGetItem})
	register(&function{name: "States.ArrayLength", params: []kind{kindArray}, returns: kindInteger,
		eval: func(_ *Expr, a []any) (any, error) { return float64(len(a[0].([]any))), nil }})
	register(&function{name: "States.ArrayUnique", params: []kind{kindArray}, returns: kindArray, eval: evalArrayUnique})
	register(&function{name: "States.Base64Encode", params: []kind{kindString}, returns: kindString, eval: evalBase64Encode})
	register(&function{name: "States.Base64Decode", params: []kind{kindString}, returns: kindString, eval: evalBase64Decode})
	register(&function{name: "States.Hash", params: []kind{kindString, kindString}, returns: kindString,
		static: hashStatic, eval: evalHash})
	register(&function{name: "States.JsonMerge", params: []kind{kindObject, kindObject, kindBool}, returns: kindObject,
		static: mergeStatic, eval: evalJSONMerge})
	register(&function{name: "States.MathRandom", params: []kind{kindNumber, kindNumber, kindNumber}, optional: 1,
		returns: kindInteger, eval: evalMathRandom})
	register(&function{name: "States.MathAdd", params: []kind{kindNumber, kindNumber}, returns: kindInteger, eval: evalMathAdd})
	register(&function{name: "States.StringSplit", params: []kind{kindString, kindString}, returns: kindArray, eval: evalStringSplit})
	register(&function{name: "States.UUID", params: nil, returns: kindString, eval: evalUUID})
}

// Names returns the names of every supported intrinsic function, sorted.
func Names() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

func formatStatic(e *Expr) error {
	a := e.args[0]
	if a.kind != argLiteral {
		return nil
	}
	t := templateOfLiteral(a.raw)
	if t.holes() != len(e.args)-1 {
		return errorf("States.Format: the template %s has %d {} placeholder(s) but %d value(s) follow", a.source, t.holes(), len(e.args)-1)
	}
	e.tmpl = t
	return nil
}

func evalFormat(e *Expr, a []any) (any, error) {
	t := e.tmpl
	if t == nil {
		t = templateOfValue(a[0].(string))
		if t.holes() != len(a)-1 {
			return nil, errorf("States.Format: the template %q has %d {} placeholder(s) but %d value(s) follow", a[0], t.holes(), len(a)-1)
		}
	}
	var b strings.Builder
	b.WriteString(t.parts[0])
	for i, v := range a[1:] {
		writeFormatValue(&b, v)
		b.WriteString(t.parts[i+1])
	}
	return b.String(), nil
}

func evalStringToJSON(_ *Expr, a []any) (any, error) {
	s := a[0].(string)
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	v, n, err := jsonv.DecodeFirst([]byte(s))
	if err != nil {
		return nil, errorf("States.StringToJson: argument 1 is not JSON text: %v", err)
	}
	if n != len(strings.TrimRight(s, " \t\r\n")) {
		return nil, errorf("States.StringToJson: argument 1 has text after the JSON value")
	}
	return v, nil
}

// literalInt returns argument i as an integer when it is a literal.
func literalInt(e *Expr, i int) (int, bool) {
	if i >= len(e.args) || e.args[i].kind != argLiteral {
		return 0, false
	}
	f, _ := e.args[i].lit.(float64)
	return int(f), true
}

func positiveLiteral(i int) func(*Expr) error {
	return func(e *Expr) error {
		if n, ok := literalInt(e, i); ok && n <= 0 {
			return errorf("%s: argument %d must be a positive integer, got %s", e.fn.name, i+1, e.args[i].source)
		}
		return nil
	}
}

func nonNegativeLiteral(i int) func(*Expr) error {
	return func(e *Expr) error {
		if n, ok := literalInt(e, i); ok && n < 0 {
			return errorf("%s: argument %d must be a non-negative integer, got %s", e.fn.name, i+1, e.args[i].source)
		}
		return nil
	}
}

func evalArrayPartition(_ *Expr, a []any) (any, error) {
	arr, size := a[0].([]any), a[1].(float64)
	if size <= 0 {
		return nil, errorf("States.ArrayPartition: argument 2 (chunk size) must be a positive integer, got %s", formatNumber(size))
	}
	n := int(math.Min(size, float64(len(arr)+1)))
	out := make([]any, 0, (len(arr)+n-1)/n)
	for i := 0; i < len(arr); i += n {
		end := min(i+n, len(arr))
		out = append(out, append([]any{}, arr[i:end]...))
	}
	return out, nil
}

func evalArrayContains(_ *Expr, a []any) (any, error) {
	for _, v := range a[0].([]any) {
		if deepEqual(v, a[1]) {
			return true, nil
		}
	}
	return false, nil
}

func arrayRangeStatic(e *Expr) error {
	if n, ok := literalInt(e, 2); ok && n == 0 {
		return errorf("States.ArrayRange: argument 3 (step) must not be 0")
	}
	start, ok1 := literalInt(e, 0)
	end, ok2 := literalInt(e, 1)
	step, ok3 := literalInt(e, 2)
	if ok1 && ok2 && ok3 {
		if _, err := rangeOf(float64(start), float64(end), float64(step)); err != nil {
			return err
		}
	}
	return nil
}

func rangeOf(start, end, step float64) ([]any, error) {
	if step == 0 {
		return nil, errorf("States.ArrayRange: argument 3 (step) must not be 0")
	}
	count := math.Floor((end-start)/step) + 1
	if count < 0 {
		count = 0
	}
	if count > maxArrayRange {
		return nil, errorf("States.ArrayRange: the range has %s items, more than the %d allowed", formatNumber(count), maxArrayRange)
	}
	out := make([]any, int(count))
	for i := range out {
		out[i] = start + float64(i)*step
	}
	return out, nil
}

func evalArrayRange(_ *Expr, a []any) (any, error) {
	return rangeOf(a[0].(float64), a[1].(float64), a[2].(float64))
}

func evalArrayGetItem(_ *Expr, a []any) (any, error) {
	arr, idx := a[0].([]any), a[1].(float64)
	if idx < 0 || idx >= float64(len(arr)) {
		return nil, errorf("States.ArrayGetItem: index %s is out of bounds of an array of %d item(s)", formatNumber(idx), len(arr))
	}
	return arr[int(idx)], nil
}

func evalArrayUnique(_ *Expr, a []any) (any, error) {
	arr := a[0].([]any)
	seen := make(map[string]struct{}, len(arr))
	out := make([]any, 0, len(arr))
	for _, v := range arr {
		k := canonicalJSON(v) // keys sorted: member order does not make objects differ
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, v)
	}
	return out, nil
}

func checkLength(fn string, s string) error {
	if n := utf8.RuneCountInString(s); n > maxEncodeInput {
		return errorf("%s: argument 1 has %d characters, more than the %d allowed", fn, n, maxEncodeInput)
	}
	return nil
}

func evalBase64Encode(_ *Expr, a []any) (any, error) {
	s := a[0].(string)
	if err := checkLength("States.Base64Encode", s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func evalBase64Decode(_ *Expr, a []any) (any, error) {
	s := a[0].(string)
	if err := checkLength("States.Base64Decode", s); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errorf("States.Base64Decode: argument 1 is not base64: %v", err)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func hashStatic(e *Expr) error {
	if a := e.args[1]; a.kind == argLiteral {
		if _, ok := hashes[a.lit.(string)]; !ok {
			return errorf("States.Hash: unknown algorithm %s (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", a.source)
		}
	}
	return nil
}

func evalHash(_ *Expr, a []any) (any, error) {
	s, alg := a[0].(string), a[1].(string)
	newHash, ok := hashes[alg]
	if !ok {
		return nil, errorf("States.Hash: unknown algorithm %q (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", alg)
	}
	if err := checkLength("States.Hash", s); err != nil {
		return nil, err
	}
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func mergeStatic(e *Expr) error {
	if a := e.args[2]; a.kind == argLiteral && a.lit == true {
		return errorf("States.JsonMerge: deep merge (argument 3 true) is not supported; pass false")
	}
	return nil
}

func evalJSONMerge(_ *Expr, a []any) (any, error) {
	if a[2].(bool) {
		return nil, errorf("States.JsonMerge: deep merge (argument 3 true) is not supported; pass false")
	}
	left, right := a[0].(*jsonv.Object), a[1].(*jsonv.Object)
	// The first object's members in their order, then the second's new
	// ones; a key of both keeps its first position and takes the second
	// value (NewObject folds repeated keys exactly so).
	members := make([]jsonv.Member, 0, left.Len()+right.Len())
	members = append(members, left.Members()...)
	members = append(members, right.Members()...)
	return jsonv.NewObject(members), nil
}

// roundJava rounds half up like Java's Math.round, which AWS uses for
// non-integer MathAdd and MathRandom arguments (2.5 -> 3, -2.5 -> -2).
func roundJava(f float64) float64 { return math.Floor(f + 0.5) }

// maxInt32 bounds MathAdd and MathRandom: AWS computes them on Java ints.
const (
	minInt32 = math.MinInt32
	maxInt32 = math.MaxInt32
)

func int32Arg(fn string, i int, f float64) (float64, error) {
	r := roundJava(f)
	if r < minInt32 || r > maxInt32 {
		return 0, errorf("%s: argument %d (%s) is outside the 32-bit integer range", fn, i+1, formatNumber(f))
	}
	return r, nil
}

func evalMathAdd(_ *Expr, a []any) (any, error) {
	x, err := int32Arg("States.MathAdd", 0, a[0].(float64))
	if err != nil {
		return nil, err
	}
	y, err := int32Arg("States.MathAdd", 1, a[1].(float64))
	if err != nil {
		return nil, err
	}
	return x + y, nil
}

// evalMathRandom returns an integer in [start, end]; with a seed the result is
// the same on every call.
func evalMathRandom(_ *Expr, a []any) (any, error) {
	start, err := int32Arg("States.MathRandom", 0, a[0].(float64))
	if err != nil {
		return nil, err
	}
	end, err := int32Arg("States.MathRandom", 1, a[1].(float64))
	if err != nil {
		return nil, err
	}
	if start > end {
		return nil, errorf("States.MathRandom: start %s is greater than end %s", formatNumber(start), formatNumber(end))
	}
	span := uint64(end-start) + 1
	var n uint64
	if len(a) == 3 {
		seed, err := int32Arg("States.MathRandom", 2, a[2].(float64))
		if err != nil {
			return nil, err
		}
		n = mrand.New(mrand.NewPCG(uint64(int64(seed)), 0x9e3779b97f4a7c15)).Uint64N(span)
	} else {
		n = mrand.Uint64N(span)
	}
	return start + float64(n), nil
}

// evalStringSplit splits at every character of the delimiter and drops empty
// pieces, as AWS does: ",,a,,b" split on "," is ["a", "b"].
func evalStringSplit(_ *Expr, a []any) (any, error) {
	s, delims := a[0].(string), a[1].(string)
	var fields []string
	if delims == "" {
		if s != "" {
			fields = []string{s}
		}
	} else {
		fields = strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	}
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out, nil
}

func evalUUID(_ *Expr, _ []any) (any, error) {
	u, err := uuid.NewRandom() // version 4, as AWS's States.UUID
	if err != nil {
		return nil, errorf("States.UUID: %v", err)
	}
	return u.String(), nil
}
