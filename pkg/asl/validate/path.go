package validate

import (
	"fmt"
	"strings"
)

// pathMode says which JSONPath forms a field accepts.
type pathMode uint8

const (
	// anyPath is a JSONPath as ASL allows it in InputPath, OutputPath,
	// ItemsPath and Parameters: wildcards, recursive descent, unions, slices
	// and filters are fine.
	anyPath pathMode = iota
	// referencePath identifies exactly one node: only .name, ['name'] and
	// [index] steps (ResultPath, Choice Variable, *Path value fields).
	referencePath
)

// checkPath reports a syntax error in a JSONPath, or nil. It checks the shape
// only; whether the path resolves is a run-time question.
func checkPath(p string, mode pathMode) error {
	if !strings.HasPrefix(p, "$") {
		return fmt.Errorf("%q is not a JSONPath (it must start with $)", p)
	}
	i := 1
	if strings.HasPrefix(p, "$$") {
		i = 2
	}
	bad := func(what string) error {
		if mode == referencePath {
			return fmt.Errorf("%q is not a reference path: %s are not allowed", p, what)
		}
		return nil
	}
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
			if i < len(p) && p[i] == '.' {
				if err := bad("recursive descent (..)"); err != nil {
					return err
				}
				i++
				if i < len(p) && p[i] == '[' {
					continue
				}
			}
			if i < len(p) && p[i] == '*' {
				if err := bad("wildcards"); err != nil {
					return err
				}
				i++
				continue
			}
			start := i
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				if strings.IndexByte(" \t\r\n]()'\"", p[i]) >= 0 {
					return fmt.Errorf("%q has an unexpected %q in a field name at offset %d", p, p[i], i)
				}
				i++
			}
			if i == start {
				return fmt.Errorf("%q has an empty field name at offset %d", p, i)
			}
		case '[':
			end, err := bracket(p, i, mode)
			if err != nil {
				return err
			}
			i = end
		default:
			return fmt.Errorf("%q has an unexpected %q at offset %d", p, p[i], i)
		}
	}
	return nil
}

// bracket checks the bracket step starting at p[i] == '[' and returns the
// offset after its ']'.
func bracket(p string, i int, mode pathMode) (int, error) {
	i++
	if i >= len(p) {
		return 0, fmt.Errorf("%q has an unclosed [", p)
	}
	ref := mode == referencePath
	notRef := func(what string) error {
		return fmt.Errorf("%q is not a reference path: %s are not allowed", p, what)
	}
	switch c := p[i]; {
	case c == '*':
		if ref {
			return 0, notRef("wildcards")
		}
		i++
	case c == '?':
		if ref {
			return 0, notRef("filters")
		}
		i++
		if i >= len(p) || p[i] != '(' {
			return 0, fmt.Errorf("%q has a filter without ( after ?", p)
		}
		end, err := balanced(p, i)
		if err != nil {
			return 0, err
		}
		i = end
	case c == '\'' || c == '"':
		names := 0
		for {
			end, err := quoted(p, i)
			if err != nil {
				return 0, err
			}
			i = end
			names++
			for i < len(p) && p[i] == ' ' {
				i++
			}
			if i < len(p) && p[i] == ',' {
				i++
				for i < len(p) && p[i] == ' ' {
					i++
				}
				if i < len(p) && (p[i] == '\'' || p[i] == '"') {
					continue
				}
				return 0, fmt.Errorf("%q has a bad name list at offset %d", p, i)
			}
			break
		}
		if ref && names > 1 {
			return 0, notRef("unions")
		}
	case c == '-' || c == ':' || c >= '0' && c <= '9':
		start := i
		for i < len(p) && strings.IndexByte("0123456789-:, ", p[i]) >= 0 {
			i++
		}
		spec := strings.ReplaceAll(p[start:i], " ", "")
		if err := indexSpec(p, spec); err != nil {
			return 0, err
		}
		if ref && strings.ContainsAny(spec, ":,-") {
			return 0, notRef("slices, unions and negative indexes")
		}
	default:
		return 0, fmt.Errorf("%q has an unexpected %q after [ at offset %d", p, c, i)
	}
	if i >= len(p) || p[i] != ']' {
		return 0, fmt.Errorf("%q has an unclosed [ (expected ] at offset %d)", p, i)
	}
	return i + 1, nil
}

// indexSpec checks "1", "-1", "1,2", "0:2", "::2".
func indexSpec(p, spec string) error {
	isInt := func(s string, empty bool) bool {
		if s == "" {
			return empty
		}
		s = strings.TrimPrefix(s, "-")
		if s == "" {
			return false
		}
		for _, c := range s {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case strings.Contains(spec, ":"):
		parts := strings.Split(spec, ":")
		if len(parts) > 3 {
			return fmt.Errorf("%q has a bad slice [%s]", p, spec)
		}
		for _, part := range parts {
			if !isInt(part, true) {
				return fmt.Errorf("%q has a bad slice [%s]", p, spec)
			}
		}
	default:
		for _, part := range strings.Split(spec, ",") {
			if !isInt(part, false) {
				return fmt.Errorf("%q has a bad index [%s]", p, spec)
			}
		}
	}
	return nil
}

// quoted returns the offset after the quoted name starting at p[i].
func quoted(p string, i int) (int, error) {
	q := p[i]
	for j := i + 1; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case q:
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("%q has an unterminated quote", p)
}

// balanced returns the offset after the parenthesis group starting at
// p[i] == '(' (quotes inside are skipped).
func balanced(p string, i int) (int, error) {
	depth := 0
	for ; i < len(p); i++ {
		switch p[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1, nil
			}
		case '\'', '"':
			end, err := quoted(p, i)
			if err != nil {
				return 0, err
			}
			i = end - 1
		}
	}
	return 0, fmt.Errorf("%q has an unclosed ( in a filter", p)
}
