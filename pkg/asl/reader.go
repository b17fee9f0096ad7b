package asl

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cogniforge/cogniforge/pkg/asl/jsonpath"
	"github.com/cogniforge/cogniforge/pkg/asl/jsonv"
)

// itemReader is a distributed Map's ItemReader. The read itself goes
// through the TaskInvoker like any Task (Service "s3", Action "getObject"
// or "listObjectsV2"); the reader decodes what it returns.
type itemReader struct {
	resource   string
	res        resource
	parameters *template
	inputType  string // JSON, JSONL, CSV (getObject); empty for listObjectsV2
	csvFirst   bool
	csvHeaders []string
	maxItems   int
	maxPath    *jsonpath.Path
}

func (c *compiler) itemReader(path string, v any) *itemReader {
	m, ok := asMap(v)
	if !ok {
		c.errf(path, "ItemReader must be an object")
		return nil
	}
	r := &itemReader{csvFirst: true}
	r.resource, _ = m.at("Resource").(string)
	r.res = parseResource(r.resource)
	if r.res.kind != resService {
		c.errf(path+".Resource", "ItemReader needs a service integration Resource such as arn:aws:states:::s3:getObject")
	}
	if p, ok := m.get("Parameters"); ok {
		r.parameters = c.template(fixed(path+".Parameters"), p)
	}
	if rc, ok := asMap(m.at("ReaderConfig")); ok {
		r.inputType, _ = rc.at("InputType").(string)
		switch r.inputType {
		case "", "JSON", "JSONL", "CSV":
		default:
			c.errf(path+".ReaderConfig.InputType", "input type %q is not supported locally (JSON, JSONL, CSV)", r.inputType)
		}
		if loc, ok := rc.at("CSVHeaderLocation").(string); ok && loc == "GIVEN" {
			r.csvFirst = false
			hs, _ := rc.at("CSVHeaders").([]any)
			for _, h := range hs {
				s, _ := h.(string)
				r.csvHeaders = append(r.csvHeaders, s)
			}
			if len(r.csvHeaders) == 0 {
				c.errf(path+".ReaderConfig.CSVHeaders", "CSVHeaderLocation GIVEN needs CSVHeaders")
			}
		}
		if n, ok := rc.get("MaxItems"); ok {
			r.maxItems, _ = c.posInt(path+".ReaderConfig.MaxItems", n)
		}
		if p, ok := rc.get("MaxItemsPath"); ok {
			r.maxPath = c.refPath(path+".ReaderConfig.MaxItemsPath", p)
		}
	}
	return r
}

func (ex *Execution) readItems(ctx context.Context, f *frame, st *state, eff any) (any, *Error) {
	r := st.reader
	fail := func(format string, args ...any) *Error {
		return errorf(ErrItemReaderFailed, "Map state '%s': "+format, append([]any{st.name}, args...)...)
	}
	var params any = jsonv.NewObject(nil)
	if r.parameters != nil {
		v, err := r.parameters.eval(f, eff)
		if err != nil {
			return nil, err
		}
		params = v
	}
	if ex.cfg.Invoker == nil {
		return nil, fail("no task invoker is configured to read %s", r.resource)
	}
	out, err := safeInvoke(ctx, ex.cfg.Invoker, TaskRequest{
		Resource: r.resource, Service: r.res.service, Action: r.res.action, Input: params, Parameters: params,
		StateName: st.name, ExecutionARN: ex.arn, ExecutionName: ex.name,
	})
	if err != nil {
		ae := taskError(TaskRequest{Service: r.res.service}, err)
		return nil, fail("%s: %s", ae.Name, ae.Cause)
	}
	out = jsonv.FromAny(out)
	var items []any
	if r.res.action == "listObjectsV2" {
		m, _ := out.(*jsonv.Object)
		contents, _ := m.Get("Contents")
		items, _ = contents.([]any)
		if items == nil {
			items = []any{}
		}
	} else {
		text, isText := out.(string)
		if m, ok := out.(*jsonv.Object); ok {
			if body, ok := m.Get("Body"); ok {
				if b, ok := body.(string); ok {
					text, isText = b, true
				}
			}
		}
		switch {
		case !isText:
			a, ok := out.([]any)
			if !ok {
				return nil, fail("the reader returned %s, not an array or a document", compactJSON(out))
			}
			items = a
		case r.inputType == "CSV":
			items, err = decodeCSV(text, r.csvFirst, r.csvHeaders)
		case r.inputType == "JSONL":
			items, err = decodeJSONL(text)
		default:
			var v any
			if v, err = jsonv.Decode([]byte(text)); err == nil {
				var ok bool
				if items, ok = v.([]any); !ok {
					err = errors.New("the JSON document is not an array")
				}
			}
		}
		if err != nil {
			return nil, fail("%v", err)
		}
	}
	max := r.maxItems
	if r.maxPath != nil {
		n, e := nonNegInt(r.maxPath, eff, "MaxItemsPath")
		if e != nil {
			return nil, e
		}
		max = n
	}
	if max > 0 && len(items) > max {
		items = items[:max]
	}
	return items, nil
}

func decodeCSV(text string, firstRow bool, headers []string) ([]any, error) {
	rd := csv.NewReader(strings.NewReader(text))
	rd.FieldsPerRecord = -1
	var items []any
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		if firstRow && headers == nil {
			headers = rec
			continue
		}
		// Members in header order, as the file has them.
		m := make([]jsonv.Member, 0, len(headers))
		for i, h := range headers {
			if i < len(rec) {
				m = append(m, jsonv.Member{Key: h, Value: rec[i]})
			}
		}
		items = append(items, jsonv.NewObject(m))
	}
	if items == nil {
		items = []any{}
	}
	return items, nil
}

func decodeJSONL(text string) ([]any, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	items := []any{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		v, err := jsonv.Decode([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("JSONL line %d: %w", n, err)
		}
		items = append(items, v)
	}
	return items, sc.Err()
}
