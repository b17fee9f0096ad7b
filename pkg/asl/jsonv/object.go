// Package jsonv holds the JSON values of the ASL engine with object members
// in document order, as AWS Step Functions keeps them.
//
// A value is nil, bool, float64, string, []any or *Object. Encoding/json
// decodes objects into Go maps, which forget the order of their keys; AWS
// prints objects in the order they were written (a payload template's order,
// a decoded document's order, insertion order for keys added later), and
// States.JsonToString, States.Format, wildcards and deep scans show it. Decode
// builds these values from JSON text and Append/Marshal write them back in
// order.
//
// DecodeString and Stream are the fast paths for large documents (ASL
// definitions): strings are substrings of the text instead of copies,
// short repeated strings are boxed once, objects are carved from blocks,
// and Stream walks an object member by member so a caller need not hold
// the whole tree.
//
// An *Object is immutable once built: With and Without return a new object
// and leave the receiver alone, so values can be shared between goroutines
// and between the input and output of states without copying. A nil *Object
// is an empty object.
package jsonv

import (
	"encoding/json"
	"reflect"
)

// Member is one key and its value.
type Member struct {
	Key   string
	Value any
}

// indexThreshold is the size from which an object keeps a key index; below
// it a linear scan over the members is faster than hashing.
const indexThreshold = 16

// Object is a JSON object whose members keep their order.
type Object struct {
	members []Member
	index   map[string]int // built for objects of indexThreshold members or more
}

// NewObject returns an object holding members in their order. It takes
// ownership of the slice. A key that repeats keeps its first position and
// its last value, as Jackson (which AWS uses) decodes duplicate keys.
func NewObject(members []Member) *Object {
	o := &Object{members: members}
	if len(members) >= indexThreshold {
		o.buildIndex()
		return o
	}
	for i := 1; i < len(members); i++ {
		for j := 0; j < i; j++ {
			if members[j].Key == members[i].Key {
				return o.dedup()
			}
		}
	}
	return o
}

// NewObjectCopy is NewObject for a copy of members, allocated together
// with the object for small objects (one allocation instead of two): for
// building an object from a reused or stack buffer.
func NewObjectCopy(members []Member) *Object {
	o := newBlock(len(members))
	copy(o.members, members)
	if len(members) >= indexThreshold {
		o.buildIndex()
		return o
	}
	if hasDuplicateKeys(o.members) {
		return o.dedup()
	}
	return o
}

// newBlock returns an object with room for n members, allocated in one
// block with it (of exactly that size) when n is small.
func newBlock(n int) *Object {
	switch n {
	case 0:
		return &Object{}
	case 1:
		b := new(struct {
			o Object
			m [1]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 2:
		b := new(struct {
			o Object
			m [2]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 3:
		b := new(struct {
			o Object
			m [3]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 4:
		b := new(struct {
			o Object
			m [4]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 5:
		b := new(struct {
			o Object
			m [5]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 6:
		b := new(struct {
			o Object
			m [6]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 7:
		b := new(struct {
			o Object
			m [7]Member
		})
		b.o.members = b.m[:]
		return &b.o
	case 8:
		b := new(struct {
			o Object
			m [8]Member
		})
		b.o.members = b.m[:]
		return &b.o
	}
	return &Object{members: make([]Member, n)}
}

func (o *Object) buildIndex() {
	o.index = make(map[string]int, len(o.members))
	for i, m := range o.members {
		if _, dup := o.index[m.Key]; dup {
			o.dedup()
			return
		}
		o.index[m.Key] = i
	}
}

// dedup folds repeated keys: first position, last value.
func (o *Object) dedup() *Object {
	pos := make(map[string]int, len(o.members))
	out := o.members[:0:0]
	for _, m := range o.members {
		if i, ok := pos[m.Key]; ok {
			out[i].Value = m.Value
			continue
		}
		pos[m.Key] = len(out)
		out = append(out, m)
	}
	o.members = out
	o.index = nil
	if len(out) >= indexThreshold {
		o.index = pos
	}
	return o
}

// Len returns the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// Members returns the members in order. The slice belongs to the object:
// callers must not modify it.
func (o *Object) Members() []Member {
	if o == nil {
		return nil
	}
	return o.members
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	keys := make([]string, o.Len())
	for i, m := range o.Members() {
		keys[i] = m.Key
	}
	return keys
}

func (o *Object) find(key string) int {
	if o == nil {
		return -1
	}
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range o.members {
		if o.members[i].Key == key {
			return i
		}
	}
	return -1
}

// Get returns the value of key and whether the object has it.
func (o *Object) Get(key string) (any, bool) {
	i := o.find(key)
	if i < 0 {
		return nil, false
	}
	return o.members[i].Value, true
}

// Has reports whether the object has key.
func (o *Object) Has(key string) bool { return o.find(key) >= 0 }

// With returns a copy of the object in which key has value: an existing key
// keeps its position, a new key goes last (what AWS does for a ResultPath
// that replaces or adds a field).
func (o *Object) With(key string, value any) *Object {
	i := o.find(key)
	n := o.Len()
	if i >= 0 {
		c := newBlock(n)
		copy(c.members, o.members)
		c.members[i].Value = value
		c.index = o.index // same keys, same positions
		return c
	}
	c := newBlock(n + 1)
	copy(c.members, o.Members())
	c.members[n] = Member{Key: key, Value: value}
	members := c.members
	if len(members) >= indexThreshold {
		c.index = make(map[string]int, len(members))
		for j, m := range members {
			c.index[m.Key] = j
		}
	}
	return c
}

// MarshalJSON writes the object compactly with its members in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	return Append(nil, o), nil
}

// UnmarshalJSON decodes a JSON object, keeping its members' order.
func (o *Object) UnmarshalJSON(data []byte) error {
	v, err := Decode(data)
	if err != nil {
		return err
	}
	obj, ok := v.(*Object)
	if !ok {
		return &json.UnmarshalTypeError{Value: typeName(v), Type: reflect.TypeFor[*Object]()}
	}
	*o = *obj
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// Equal compares two values as JSON: numbers by value, objects by their
// members regardless of order. Plain map[string]any objects compare equal to
// *Object ones with the same members.
func Equal(a, b any) bool {
	a, b = FromAny(a), FromAny(b)
	return equal(a, b)
}

func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, m := range x.Members() {
			w, ok := y.Get(m.Key)
			if !ok || !equal(m.Value, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// String returns the object's compact JSON text, so that fmt prints objects
// readably and in order.
func (o *Object) String() string { return Marshal(o) }
