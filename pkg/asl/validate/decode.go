package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxNesting bounds how deeply the definition's JSON may nest, so a hostile
// document cannot exhaust the stack of the recursive checks.
const maxNesting = 1000

// decode parses raw like encoding/json into an any, and also reports every
// object key that appears twice (encoding/json silently keeps the last one,
// which would hide a duplicated state name). dups holds the paths of the
// repeated keys in the diagnostics' path notation.
func decode(raw []byte) (doc any, dups []string, err error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	d := &decoder{dec: dec}
	doc, err = d.value("", 0)
	if err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("text after the JSON value")
	}
	return doc, d.dups, nil
}

type decoder struct {
	dec  *json.Decoder
	dups []string
}

func (d *decoder) value(path string, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("nested more than %d deep", maxNesting)
	}
	tok, err := d.dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for d.dec.More() {
				kt, err := d.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				p := join(path, key)
				v, err := d.value(p, depth+1)
				if err != nil {
					return nil, err
				}
				if _, dup := obj[key]; dup {
					d.dups = append(d.dups, p)
				}
				obj[key] = v
			}
			if _, err := d.dec.Token(); err != nil { // '}'
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []any{}
			for i := 0; d.dec.More(); i++ {
				v, err := d.value(fmt.Sprintf("%s[%d]", path, i), depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := d.dec.Token(); err != nil { // ']'
				return nil, err
			}
			return arr, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}
