package intrinsic

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

func sortStrings(s []string) { slices.Sort(s) }

// formatNumber prints a number as AWS (Java) does: whole numbers without a
// decimal point (AWS keeps integers as integers), others like Java's
// Double.toString: plain between 1e-3 and 1e7, else "1.5E-4" style.
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e19 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1.5e-04, 1e+20
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// toJSON serialises v compactly, as AWS prints JSON: no spaces, object
// members in their order, numbers by formatNumber, and only the characters
// JSON requires escaped (HTML characters are not).
func toJSON(v any) string {
	return string(jsonv.AppendWith(nil, v, appendNumber))
}

// canonicalJSON is toJSON with object keys sorted, so that objects with the
// same members in another order print the same (for equality keys).
func canonicalJSON(v any) string { return toJSON(jsonv.ToAny(v)) }

func appendNumber(dst []byte, f float64) []byte { return append(dst, formatNumber(f)...) }

func writeJSON(b *strings.Builder, v any) { b.WriteString(toJSON(v)) }

// writeOther handles values outside the encoding/json set (ints, typed
// slices) that a caller may still pass, by converting them.
func writeOther(b *strings.Builder, v any, write func(*strings.Builder, any)) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		write(b, float64(rv.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		write(b, float64(rv.Uint()))
	case reflect.Float32:
		write(b, rv.Float())
	default:
		writeJSONString(b, describe(v))
	}
}

func writeJSONString(b *strings.Builder, s string) { b.Write(jsonv.AppendString(nil, s)) }

// writeFormatValue writes a States.Format argument: strings raw, numbers,
// booleans and null as JSON literals, arrays as "[a, b]" and objects as
// "{k=v, k2=v2}" (Java's toString of a list and a map), recursively.
func writeFormatValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatValue(b, e)
		}
		b.WriteByte(']')
	case *jsonv.Object:
		b.WriteByte('{')
		for i, m := range x.Members() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.Key)
			b.WriteByte('=')
			writeFormatValue(b, m.Value)
		}
		b.WriteByte('}')
	case map[string]any:
		writeFormatValue(b, jsonv.FromAny(x))
	case nil, bool, float64:
		writeJSON(b, x)
	default:
		writeOther(b, v, writeFormatValue)
	}
}

// describe names a value's type and shows it briefly, for error causes.
func describe(v any) string {
	var t string
	switch v.(type) {
	case nil:
		return "null"
	case string:
		t = "string"
	case float64:
		t = "number"
	case bool:
		t = "boolean"
	case []any:
		t = "array"
	case *jsonv.Object, map[string]any:
		t = "object"
	default:
		return reflect.TypeOf(v).String()
	}
	s := toJSON(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return t + " " + s
}

// deepEqual compares JSON values: numbers by value, objects regardless of
// member order.
func deepEqual(a, b any) bool { return jsonv.Equal(a, b) }
