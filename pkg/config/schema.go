package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Schema is the typed shape of a function's configuration: a struct T whose
// fields carry `config:"key[,required][,secure]"` tags, and a validator run
// on the whole decoded value. Field types may be string, bool, any int or
// float, time.Duration (Go syntax, "1m30s") and []string (comma separated,
// as an SSM StringList). Untagged fields are left alone; keys in the store
// that no field names are ignored.
type Schema[T any] struct {
	fields   []schemaField
	validate func(T) error
}

type schemaField struct {
	key      string
	index    int
	required bool
	secure   bool
	typ      reflect.Type
}

var durationType = reflect.TypeOf(time.Duration(0))

// NewSchema reads T's tags. validate may be nil. A T that is not a struct,
// a tagged field of an unsupported type or a key given twice is an error.
func NewSchema[T any](validate func(T) error) (*Schema[T], error) {
	var zero T
	rt := reflect.TypeOf(zero)
	if rt == nil || rt.Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: schema type %v: want a struct", rt)
	}
	s := &Schema[T]{validate: validate}
	seen := map[string]bool{}
	var errs []error
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag, ok := f.Tag.Lookup("config")
		if !ok || tag == "-" {
			continue
		}
		parts := strings.Split(tag, ",")
		sf := schemaField{key: parts[0], index: i, typ: f.Type}
		for _, o := range parts[1:] {
			switch o {
			case "required":
				sf.required = true
			case "secure":
				sf.secure = true
			default:
				errs = append(errs, fmt.Errorf("config: field %s: unknown tag option %q (want required or secure)", f.Name, o))
			}
		}
		if sf.key == "" || seen[sf.key] {
			errs = append(errs, fmt.Errorf("config: field %s: key %q empty or given twice", f.Name, sf.key))
		}
		seen[sf.key] = true
		if !f.IsExported() {
			errs = append(errs, fmt.Errorf("config: field %s: tagged but not exported", f.Name))
		}
		if _, err := parseValue(f.Type, ""); errors.Is(err, errUnsupported) {
			errs = append(errs, fmt.Errorf("config: field %s: %w", f.Name, err))
		}
		s.fields = append(s.fields, sf)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// Keys returns the keys the schema reads, in field order.
func (s *Schema[T]) Keys() []string {
	out := make([]string, len(s.fields))
	for i, f := range s.fields {
		out[i] = f.key
	}
	return out
}

// Field reports whether key is in the schema and whether it is secure.
func (s *Schema[T]) Field(key string) (known, secure bool) {
	for _, f := range s.fields {
		if f.key == key {
			return true, f.secure
		}
	}
	return false, false
}

// Decode types values (key to raw string) into a T and validates it. Every
// problem is named in the error, which wraps ErrInvalidValue.
func (s *Schema[T]) Decode(values map[string]string) (T, error) {
	var out T
	rv := reflect.ValueOf(&out).Elem()
	var errs []error
	for _, f := range s.fields {
		raw, ok := values[f.key]
		if !ok {
			if f.required {
				errs = append(errs, fmt.Errorf("%w: %s is required", ErrInvalidValue, f.key))
			}
			continue
		}
		v, err := parseValue(f.typ, raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrInvalidValue, f.key, err))
			continue
		}
		rv.Field(f.index).Set(v)
	}
	if err := errors.Join(errs...); err != nil {
		return out, err
	}
	if s.validate != nil {
		if err := s.validate(out); err != nil {
			return out, fmt.Errorf("%w: %v", ErrInvalidValue, err)
		}
	}
	return out, nil
}

// check is Decode without the value, for the Manager.
func (s *Schema[T]) check(values map[string]string) error {
	_, err := s.Decode(values)
	return err
}

var errUnsupported = errors.New("unsupported type")

func parseValue(t reflect.Type, raw string) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	if t == durationType {
		if raw == "" {
			return v, nil
		}
		d, err := time.ParseDuration(raw)
		if err != nil {
			return v, fmt.Errorf("%q is not a duration (e.g. 1m30s)", raw)
		}
		v.SetInt(int64(d))
		return v, nil
	}
	if raw == "" && t.Kind() != reflect.String && t.Kind() != reflect.Slice && !isSupported(t) {
		return v, fmt.Errorf("%w %v", errUnsupported, t)
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		if raw == "" {
			return v, nil
		}
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return v, fmt.Errorf("%q is not a bool", raw)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if raw == "" {
			return v, nil
		}
		n, err := strconv.ParseInt(raw, 10, t.Bits())
		if err != nil {
			return v, fmt.Errorf("%q is not an integer of %d bits", raw, t.Bits())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if raw == "" {
			return v, nil
		}
		n, err := strconv.ParseUint(raw, 10, t.Bits())
		if err != nil {
			return v, fmt.Errorf("%q is not an unsigned integer of %d bits", raw, t.Bits())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		if raw == "" {
			return v, nil
		}
		x, err := strconv.ParseFloat(raw, t.Bits())
		if err != nil {
			return v, fmt.Errorf("%q is not a number", raw)
		}
		v.SetFloat(x)
	case reflect.Slice:
		if t.Elem().Kind() != reflect.String {
			return v, fmt.Errorf("%w %v", errUnsupported, t)
		}
		if raw == "" {
			return v, nil
		}
		parts := strings.Split(raw, ",")
		s := reflect.MakeSlice(t, len(parts), len(parts))
		for i, p := range parts {
			s.Index(i).SetString(strings.TrimSpace(p))
		}
		v.Set(s)
	default:
		return v, fmt.Errorf("%w %v", errUnsupported, t)
	}
	return v, nil
}

func isSupported(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
