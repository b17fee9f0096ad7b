package apidiff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
	"gopkg.in/yaml.v3"
)

// MaxSpecBytes is the largest document Compare reads; a bigger one is
// refused with ErrTooLarge before it is parsed.
const MaxSpecBytes = 10 << 20

// The kinds of bad input. A *SpecError wraps exactly one of them, so
// errors.Is(err, ErrNotOpenAPI) tells a caller what was wrong.
var (
	// ErrEmpty is an empty document.
	ErrEmpty = errors.New("empty document")
	// ErrTooLarge is a document over MaxSpecBytes.
	ErrTooLarge = errors.New("document too large")
	// ErrNotOpenAPI is YAML or JSON that is not an OpenAPI 3 document (no
	// "openapi: 3.x" field), or not YAML or JSON at all.
	ErrNotOpenAPI = errors.New("not an OpenAPI 3 document")
	// ErrUnresolvedRef is a $ref that points nowhere in the document
	// (references to other files are not followed either).
	ErrUnresolvedRef = errors.New("unresolved $ref")
	// ErrInvalidSpec is an OpenAPI document the loader refused otherwise.
	ErrInvalidSpec = errors.New("invalid OpenAPI document")
)

// SpecError is bad input: which document ("old" or "new", or the name the
// caller gave) and what was wrong with it.
type SpecError struct {
	// Spec names the document.
	Spec string
	// Kind is one of ErrEmpty, ErrTooLarge, ErrNotOpenAPI,
	// ErrUnresolvedRef, ErrInvalidSpec.
	Kind error
	// Cause is the parser's or loader's error, when there is one.
	Cause error
}

func (e *SpecError) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("%s spec: %v", e.Spec, e.Kind)
	}
	return fmt.Sprintf("%s spec: %v: %v", e.Spec, e.Kind, e.Cause)
}

// Unwrap returns the kind and the cause.
func (e *SpecError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Levels of a change, as oasdiff grades them: error and warning are
// breaking, info is not.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelInfo    = "info"
)

// Change is one difference between two versions of an API.
type Change struct {
	// ID is oasdiff's check id, e.g. api-removed-without-deprecation.
	ID string `json:"id"`
	// Operation is "METHOD /path" (the path template as in the spec);
	// empty for changes outside paths (components, security schemes).
	Operation string `json:"operation,omitempty"`
	// OperationID is the operation's operationId, when it has one.
	OperationID string `json:"operationId,omitempty"`
	// Message says what changed, in English.
	Message string `json:"message"`
	// Level is LevelError, LevelWarning or LevelInfo.
	Level string `json:"level"`
	// Callers are the clients that called Operation recently (set by
	// Result.AddImpact, breaking changes only); nil when unknown.
	Callers []CallerUsage `json:"callers,omitempty"`
}

// Result is what changed from one version to the next.
type Result struct {
	// Breaking changes (levels error and warning) may break existing
	// clients.
	Breaking []Change `json:"breaking"`
	// NonBreaking changes (level info) are the rest of the changelog.
	NonBreaking []Change `json:"nonBreaking"`
}

// HasBreaking reports whether any change is breaking.
func (r Result) HasBreaking() bool { return len(r.Breaking) > 0 }

// Compare reports the changes from the old document to the new one. Both
// are OpenAPI 3.0 or 3.1 documents in YAML or JSON; a document that is not
// one, or has an unresolved $ref, is a *SpecError. The changes come in a
// stable order: by operation, then check id, then message.
func Compare(ctx context.Context, old, new []byte) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	base, err := loadSpec(ctx, "old", old)
	if err != nil {
		return Result{}, err
	}
	rev, err := loadSpec(ctx, "new", new)
	if err != nil {
		return Result{}, err
	}
	d, ops, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), base, rev)
	if err != nil {
		return Result{}, fmt.Errorf("apidiff: diff: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	changes := checker.CheckBackwardCompatibilityUntilLevel(checker.NewConfig(checker.GetAllChecks()), d, ops, checker.INFO)
	l := checker.NewDefaultLocalizer()
	res := Result{Breaking: []Change{}, NonBreaking: []Change{}}
	for _, c := range changes {
		ch := Change{
			ID:          c.GetId(),
			OperationID: c.GetOperationId(),
			Message:     c.GetUncolorizedText(l),
			Level:       levelName(c.GetLevel()),
		}
		if m, p := c.GetOperation(), c.GetPath(); m != "" && p != "" {
			ch.Operation = strings.ToUpper(m) + " " + p
		}
		if c.GetLevel() >= checker.WARN {
			res.Breaking = append(res.Breaking, ch)
		} else {
			res.NonBreaking = append(res.NonBreaking, ch)
		}
	}
	sortChanges(res.Breaking)
	sortChanges(res.NonBreaking)
	return res, nil
}

func levelName(l checker.Level) string {
	switch {
	case l >= checker.ERR:
		return LevelError
	case l >= checker.WARN:
		return LevelWarning
	default:
		return LevelInfo
	}
}

func sortChanges(cs []Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Message < b.Message
	})
}

// loadSpec checks the document is OpenAPI 3 before the loader sees it (the
// loader accepts any YAML map), then loads it with external references
// refused.
func loadSpec(ctx context.Context, name string, data []byte) (*load.SpecInfo, error) {
	if err := CheckDocument(name, data); err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = false
	spec, err := loader.LoadFromDataWithPath(data, &url.URL{Path: name + ".yaml"})
	if err != nil {
		kind := ErrInvalidSpec
		if strings.Contains(err.Error(), "$ref") || strings.Contains(err.Error(), "resolve") ||
			strings.Contains(err.Error(), "reference") {
			kind = ErrUnresolvedRef
		}
		return nil, &SpecError{Spec: name, Kind: kind, Cause: err}
	}
	return &load.SpecInfo{Spec: spec, Url: name, Version: specVersion(spec)}, nil
}

func specVersion(s *openapi3.T) string {
	if s == nil || s.Info == nil {
		return ""
	}
	return s.Info.Version
}

// CheckDocument reports whether data looks like an OpenAPI 3 document: not
// empty, not over MaxSpecBytes, YAML or JSON with an "openapi" field of
// 3.x. It does not load references; Compare does. name labels the error.
func CheckDocument(name string, data []byte) error {
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return &SpecError{Spec: name, Kind: ErrEmpty}
	case len(data) > MaxSpecBytes:
		return &SpecError{Spec: name, Kind: ErrTooLarge, Cause: fmt.Errorf("%d bytes, at most %d", len(data), MaxSpecBytes)}
	}
	var head struct {
		OpenAPI any `yaml:"openapi"`
		Swagger any `yaml:"swagger"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return &SpecError{Spec: name, Kind: ErrNotOpenAPI, Cause: err}
	}
	v, _ := head.OpenAPI.(string)
	switch {
	case head.Swagger != nil:
		return &SpecError{Spec: name, Kind: ErrNotOpenAPI, Cause: errors.New("swagger 2.0 documents are not supported; convert to OpenAPI 3")}
	case head.OpenAPI == nil:
		return &SpecError{Spec: name, Kind: ErrNotOpenAPI, Cause: errors.New(`no "openapi" field`)}
	case !strings.HasPrefix(v, "3."):
		return &SpecError{Spec: name, Kind: ErrNotOpenAPI, Cause: fmt.Errorf(`"openapi" is %v, want 3.0.x or 3.1.x`, head.OpenAPI)}
	}
	return nil
}
