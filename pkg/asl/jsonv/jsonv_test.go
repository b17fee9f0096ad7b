package jsonv

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeKeepsDocumentOrder(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"z":1,"a":2,"m":3}`, `{"z":1,"a":2,"m":3}`},
		{` {"name" : "a", "age" : 3} `, `{"name":"a","age":3}`},
		{`{"b":{"y":[1,{"q":1,"p":2}],"x":null},"a":true}`, `{"b":{"y":[1,{"q":1,"p":2}],"x":null},"a":true}`},
		{`{"k":1,"j":2,"k":3}`, `{"k":3,"j":2}`}, // duplicate: first position, last value
		{`"<a&b>\u00e9\ud83d\ude00"`, `"<a&b>é😀"`},
		{`"\ud800x"`, `"` + "\uFFFD" + `x"`},
		{`"tab\tnl\nctl\u0001"`, `"tab\tnl\nctl\u0001"`},
		{`[1.5,-0,1e21,1e-7,100]`, `[1.5,-0,1e+21,1e-7,100]`},
		{`{}`, `{}`},
		{`[]`, `[]`},
	}
	for _, tt := range tests {
		v, err := Decode([]byte(tt.in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", tt.in, err)
		}
		if got := Marshal(v); got != tt.want {
			t.Errorf("Decode(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `1e`, `"\x"`, "\"a\x01\"", `tru`, `{} {}`, `1e999`, `{'a':1}`} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Decode(%q) error = %v, want ErrSyntax", in, err)
		}
	}
}

func TestWithKeepsPositionOrAppends(t *testing.T) {
	v, _ := Decode([]byte(`{"b":1,"a":2}`))
	o := v.(*Object)
	if got := Marshal(o.With("b", "x")); got != `{"b":"x","a":2}` {
		t.Errorf("replace = %s", got)
	}
	if got := Marshal(o.With("c", 3)); got != `{"b":1,"a":2,"c":3}` {
		t.Errorf("add = %s", got)
	}
	if got := Marshal(o); got != `{"b":1,"a":2}` {
		t.Errorf("receiver changed: %s", got)
	}
	var nilObj *Object
	if got := Marshal(nilObj.With("a", 1)); got != `{"a":1}` {
		t.Errorf("nil.With = %s", got)
	}
}

func TestLargeObjectsUseTheIndex(t *testing.T) {
	members := make([]Member, 100)
	for i := range members {
		members[i] = Member{Key: strings.Repeat("k", i+1), Value: float64(i)}
	}
	o := NewObject(members)
	for i := range 100 {
		if v, ok := o.Get(strings.Repeat("k", i+1)); !ok || v != float64(i) {
			t.Fatalf("Get(%d) = %v %v", i, v, ok)
		}
	}
	o2 := o.With("new", true).With("k", "first")
	if v, _ := o2.Get("new"); v != true || o2.Len() != 101 || o2.Members()[0].Value != "first" || o2.Members()[100].Key != "new" {
		t.Fatalf("With on an indexed object: %s", Marshal(o2))
	}
}

func TestFromAnyAndToAny(t *testing.T) {
	in := map[string]any{"b": []any{map[string]any{"d": 1, "c": int64(2)}}, "a": json.Number("1.5")}
	v := FromAny(in)
	if got := Marshal(v); got != `{"a":1.5,"b":[{"c":2,"d":1}]}` {
		t.Fatalf("FromAny = %s", got)
	}
	back := ToAny(v)
	want := map[string]any{"b": []any{map[string]any{"d": 1.0, "c": 2.0}}, "a": 1.5}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("ToAny = %#v", back)
	}
	type rec struct {
		Z string `json:"z"`
		A int    `json:"a"`
	}
	if got := Marshal(FromAny(rec{Z: "z", A: 1})); got != `{"z":"z","a":1}` {
		t.Errorf("struct = %s", got)
	}
	canonical, _ := Decode([]byte(`{"x":[1,{"y":2}]}`))
	if FromAny(canonical) != canonical {
		t.Error("FromAny copied a canonical value")
	}
	if !Equal(canonical, map[string]any{"x": []any{1, map[string]any{"y": 2}}}) {
		t.Error("Equal ignores representation")
	}
}

func TestMarshalJSONThroughEncodingJSON(t *testing.T) {
	v, _ := Decode([]byte(`{"z":{"y":1},"a":[2]}`))
	b, err := json.Marshal(struct{ Out any }{v})
	if err != nil || string(b) != `{"Out":{"z":{"y":1},"a":[2]}}` {
		t.Fatalf("json.Marshal = %s %v", b, err)
	}
	var o Object
	if err := json.Unmarshal([]byte(`{"q":1,"p":2}`), &o); err != nil || Marshal(&o) != `{"q":1,"p":2}` {
		t.Fatalf("UnmarshalJSON = %s %v", Marshal(&o), err)
	}
}

func TestGoNumbers(t *testing.T) {
	for _, f := range []float64{0, 1, -1.25, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		if got := string(AppendGoNumber(nil, f)); got != string(want) {
			t.Errorf("AppendGoNumber(%v) = %s, want %s", f, got, want)
		}
	}
}

// FuzzDecode checks the decoder against encoding/json: the same texts are
// valid, they decode to the same values, and what Append writes decodes
// back to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"z":1,"a":[true,false,null]}`, `"\ud83d\ude00\u00e9"`, `[1e5,-0.5,"a\"b"]`, `{"a":{"a":{"a":1}}}`, `"\xff"`, `{"a":1,"a":2}`, ` 1 `, `[`, `"\ud800\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		var std any
		stdErr := json.Unmarshal(data, &std)
		if (err == nil) != (stdErr == nil) {
			t.Fatalf("Decode(%q) err = %v, encoding/json err = %v", data, err, stdErr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(ToAny(v), std) {
			t.Fatalf("Decode(%q) = %#v, encoding/json = %#v", data, ToAny(v), std)
		}
		again, err := Decode(Append(nil, v))
		if err != nil || !Equal(again, v) || Marshal(again) != Marshal(v) {
			t.Fatalf("round trip of %q: %s vs %s (%v)", data, Marshal(again), Marshal(v), err)
		}
		shared, err := DecodeString(string(data))
		if err != nil || Marshal(shared) != Marshal(v) {
			t.Fatalf("DecodeString(%q) = %s (%v), Decode = %s", data, Marshal(shared), err, Marshal(v))
		}
		if streamed, err := streamObject(string(data)); err != nil || (streamed != nil && Marshal(streamed) != Marshal(v)) {
			t.Fatalf("Stream(%q) = %s (%v), Decode = %s", data, Marshal(streamed), err, Marshal(v))
		}
	})
}

// streamObject rebuilds a top-level object through Stream: Members for it
// and for its object members, Value for the rest. It returns nil for a
// document that is not an object.
func streamObject(s string) (any, error) {
	in := NewStream(s)
	if in.Peek() != '{' {
		return nil, nil
	}
	var members []Member
	err := in.Members(func(key string) error {
		var v any
		if in.Peek() == '{' {
			var inner []Member
			err := in.Members(func(k string) error {
				x, err := in.Value()
				inner = append(inner, Member{Key: k, Value: x})
				return err
			})
			if err != nil {
				return err
			}
			v = NewObject(inner)
		} else {
			var err error
			if v, err = in.Value(); err != nil {
				return err
			}
		}
		members = append(members, Member{Key: key, Value: v})
		return nil
	})
	if err == nil {
		err = in.End()
	}
	if err != nil {
		return nil, err
	}
	return NewObject(members), nil
}

func TestStreamRejects(t *testing.T) {
	for _, in := range []string{`{`, `{"a"}`, `{"a":1,}`, `{"a":{"b":}}`, `{} {}`, `{"a":1 "b":2}`, `[1]`} {
		s := NewStream(in)
		err := s.Members(func(string) error { _, err := s.Value(); return err })
		if err == nil {
			err = s.End()
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Stream(%q) error = %v, want ErrSyntax", in, err)
		}
	}
}

// TestDecodeStringMatchesDecode checks the slab and substring decoder on
// documents big enough to fill several blocks, with duplicate keys, objects
// past the index threshold, escapes and numbers of every form.
func TestDecodeStringMatchesDecode(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"big":{`)
	for i := range 40 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString(`},"list":[`)
	for i := range 2000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"i":%d,"f":%d.25,"neg":-%d,"e":%de3,"s":"v\"%d","dup":1,"dup":%d,"z":-0}`, i, i, i, i, i, i)
	}
	b.WriteString(`],"huge":12345678901234567890,"small":-123456789012345}`)
	doc := b.String()
	want, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeString(doc)
	if err != nil {
		t.Fatal(err)
	}
	if Marshal(got) != Marshal(want) || !Equal(got, want) {
		t.Fatalf("DecodeString differs from Decode")
	}
	var std any
	if err := json.Unmarshal([]byte(doc), &std); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ToAny(got), std) {
		t.Fatalf("DecodeString differs from encoding/json")
	}
	item := got.(*Object).Members()[1].Value.([]any)[7].(*Object)
	if item.Len() != 7 || Marshal(item) != `{"i":7,"f":7.25,"neg":-7,"e":7000,"s":"v\"7","dup":7,"z":-0}` {
		t.Fatalf("item 7 = %s", Marshal(item))
	}
	if z, _ := item.Get("z"); !math.Signbit(z.(float64)) {
		t.Fatalf("-0 lost its sign")
	}
}

const benchDoc = `{"order":{"id":"o-1","lines":[{"sku":"a","qty":2,"price":9.5},{"sku":"b","qty":1,"price":120}],
"customer":{"name":"Zoë","tier":"gold","address":{"city":"Lyon","zip":"69001"}}},"flags":[true,false,null],"n":12345}`

func BenchmarkDecode(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode([]byte(benchDoc)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeString(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeString(benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeEncodingJSON(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal([]byte(benchDoc), &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	v, _ := Decode([]byte(benchDoc))
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], v)
	}
}

// TestNewObjectCopyAndWithAcrossBlockSizes checks the objects allocated
// with their members (2, 4, 8 members) and beyond, through NewObjectCopy
// and With: same members as NewObject, the source left alone, repeated keys
// folded.
func TestNewObjectCopyAndWithAcrossBlockSizes(t *testing.T) {
	for n := 0; n <= 20; n++ {
		src := make([]Member, n)
		for i := range src {
			src[i] = Member{Key: fmt.Sprintf("k%d", i), Value: float64(i)}
		}
		o := NewObjectCopy(src)
		src = append(src[:0:0], src...) // what NewObject takes over
		if Marshal(o) != Marshal(NewObject(src)) || o.Len() != n {
			t.Fatalf("n=%d: NewObjectCopy = %s", n, Marshal(o))
		}
		added := o.With("new", true)
		replaced := added.With("new", false)
		if added.Len() != n+1 || replaced.Len() != n+1 || o.Len() != n {
			t.Fatalf("n=%d: lengths %d %d %d", n, o.Len(), added.Len(), replaced.Len())
		}
		if v, _ := replaced.Get("new"); v != false {
			t.Fatalf("n=%d: replaced new = %v", n, v)
		}
		if v, _ := added.Get("new"); v != true {
			t.Fatalf("n=%d: With changed its receiver", n)
		}
		if n > 0 {
			if v, ok := replaced.Get(fmt.Sprintf("k%d", n-1)); !ok || v != float64(n-1) {
				t.Fatalf("n=%d: last key lost: %s", n, Marshal(replaced))
			}
		}
	}
	dup := NewObjectCopy([]Member{{"a", 1.0}, {"b", 2.0}, {"a", 3.0}})
	if Marshal(dup) != `{"a":3,"b":2}` {
		t.Fatalf("repeated key: %s", Marshal(dup))
	}
}
