package telemetry

import (
	"log/slog"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Masked replaces a sensitive value in logs and spans.
const Masked = "***"

// sensitiveWords are matched inside a key, case-insensitively and ignoring
// '-', '_' and '.', so "api_key", "X-Api-Key" and "apiKey" all match.
var sensitiveWords = []string{
	"password", "passwd", "passphrase", "secret", "token", "authorization",
	"apikey", "accesskey", "credential", "privatekey", "cookie", "session",
	"ssn", "cardnumber", "creditcard", "cvv", "cvc", "iban", "email", "phone",
}

// harmlessSuffixes name a thing about a secret rather than the secret:
// "secretId", "secretArn", "tokenType" are kept (sessionid is not: listed above
// via "session" and checked before suffixes).
var harmlessSuffixes = []string{"id", "arn", "name", "type", "ttl", "count", "expiry", "expiresat", "version", "step"}

// SensitiveKey reports whether an attribute named key holds a secret or
// personal data and must be masked whatever its value.
func SensitiveKey(key string) bool {
	if key == "" {
		return false
	}
	var buf [64]byte
	n := normalizeKey(key, buf[:0])
	k := string(n)
	hit := false
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	if strings.Contains(k, "session") || k == "ssn" {
		return true
	}
	for _, s := range harmlessSuffixes {
		if strings.HasSuffix(k, s) && !strings.HasSuffix(k, "apikey"+s) {
			// "secretid" is a name; "sessionid" was handled above.
			return false
		}
	}
	return true
}

func normalizeKey(key string, dst []byte) []byte {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// SensitiveValue reports whether s contains personal data recognisable by
// shape: an e-mail address, a payment card number (13 to 19 digits, spaces or
// dashes allowed, Luhn-valid) or a US social security number (ddd-dd-dddd).
func SensitiveValue(s string) bool {
	if len(s) < 3 {
		return false
	}
	if strings.IndexByte(s, '@') >= 0 && hasEmail(s) {
		return true
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	if digits < 9 {
		return false
	}
	return hasSSN(s) || hasCard(s)
}

func isEmailLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

func isDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func hasEmail(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		j := i
		for j > 0 && isEmailLocal(s[j-1]) {
			j--
		}
		if j == i {
			continue
		}
		k := i + 1
		dot := false
		for k < len(s) && isDomain(s[k]) {
			if s[k] == '.' && k > i+1 && k+1 < len(s) && isDomain(s[k+1]) && s[k+1] != '.' {
				dot = true
			}
			k++
		}
		if dot {
			return true
		}
	}
	return false
}

func hasSSN(s string) bool {
	isD := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	for i := 0; i+11 <= len(s); i++ {
		if isD(i - 1) {
			continue
		}
		ok := true
		for j := range 11 {
			switch j {
			case 3, 6:
				ok = ok && s[i+j] == '-'
			default:
				ok = ok && isD(i+j)
			}
		}
		if ok && !isD(i+11) {
			return true
		}
	}
	return false
}

// hasCard looks for a run of 13-19 digits (single spaces or dashes between
// groups allowed) that passes the Luhn check.
func hasCard(s string) bool {
	var run [19]byte
	n := 0
	start := 0
	isAlnum := func(i int) bool {
		if i < 0 || i >= len(s) {
			return false
		}
		c := s[i]
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	// flush checks the run that ended before index end; a run glued to
	// letters (a UUID, a hex id) is not a card.
	flush := func(end int) bool {
		ok := n >= 13 && luhn(run[:n]) && !isAlnum(start-1) && !isAlnum(end)
		n = 0
		return ok
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(run) {
				// Too long to be a card: skip the rest of this run.
				for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == ' ' || s[i] == '-') {
					i++
				}
				n = 0
				continue
			}
			if n == 0 {
				start = i
			}
			run[n] = c
			n++
		case (c == ' ' || c == '-') && n > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			if flush(i) {
				return true
			}
		}
	}
	return flush(len(s))
}

func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// MaskAttr masks a log attribute: by key, by string value, and inside
// map[string]any, map[string]string and []any values.
func MaskAttr(a slog.Attr) slog.Attr {
	switch a.Key {
	case "trace_id", "span_id", "event_id", "correlation_id", "function", slog.TimeKey, slog.LevelKey:
		return a
	}
	if SensitiveKey(a.Key) {
		return slog.String(a.Key, Masked)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if SensitiveValue(a.Value.String()) {
			return slog.String(a.Key, Masked)
		}
	case slog.KindAny:
		if v, changed := maskAny(a.Value.Any()); changed {
			return slog.Any(a.Key, v)
		}
	}
	return a
}

// maskAny returns a masked copy of v when something in it was masked.
func maskAny(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		if SensitiveValue(t) {
			return Masked, true
		}
	case map[string]string:
		var out map[string]string
		for k, s := range t {
			if SensitiveKey(k) || SensitiveValue(s) {
				if out == nil {
					out = make(map[string]string, len(t))
					for k2, v2 := range t {
						out[k2] = v2
					}
				}
				out[k] = Masked
			}
		}
		if out != nil {
			return out, true
		}
	case map[string]any:
		var out map[string]any
		for k, e := range t {
			nv, changed := e, false
			if SensitiveKey(k) {
				nv, changed = Masked, true
			} else {
				nv, changed = maskAny(e)
			}
			if changed {
				if out == nil {
					out = make(map[string]any, len(t))
					for k2, v2 := range t {
						out[k2] = v2
					}
				}
				out[k] = nv
			}
		}
		if out != nil {
			return out, true
		}
	case []any:
		var out []any
		for i, e := range t {
			if nv, changed := maskAny(e); changed {
				if out == nil {
					out = append([]any(nil), t...)
				}
				out[i] = nv
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// MaskAttributes returns attrs with sensitive span attributes replaced by
// Masked, or attrs itself when nothing needed masking.
func MaskAttributes(attrs []attribute.KeyValue) []attribute.KeyValue {
	var out []attribute.KeyValue
	for i, kv := range attrs {
		mask := SensitiveKey(string(kv.Key))
		if !mask {
			switch kv.Value.Type() {
			case attribute.STRING:
				mask = SensitiveValue(kv.Value.AsString())
			case attribute.STRINGSLICE:
				for _, s := range kv.Value.AsStringSlice() {
					if SensitiveValue(s) {
						mask = true
						break
					}
				}
			}
		}
		if mask {
			if out == nil {
				out = append([]attribute.KeyValue(nil), attrs...)
			}
			out[i] = attribute.String(string(kv.Key), Masked)
		}
	}
	if out == nil {
		return attrs
	}
	return out
}

// MaskingProcessor wraps next so that it (and the exporter behind it) sees
// span attributes masked by MaskAttributes. Setup installs it in front of
// the exporter; tests put it in front of a tracetest.SpanRecorder.
func MaskingProcessor(next sdktrace.SpanProcessor) sdktrace.SpanProcessor {
	return &maskingProcessor{SpanProcessor: next}
}

type maskingProcessor struct{ sdktrace.SpanProcessor }

func (p *maskingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	m := maskedSpan{ReadOnlySpan: s, attrs: s.Attributes(), events: s.Events(), status: s.Status()}
	changed := false
	if masked := MaskAttributes(m.attrs); len(m.attrs) > 0 && &masked[0] != &m.attrs[0] {
		m.attrs, changed = masked, true
	}
	// Error events (RecordError) and the status carry error messages, which
	// may quote personal data.
	copied := false
	for i, ev := range m.events {
		if masked := MaskAttributes(ev.Attributes); len(ev.Attributes) > 0 && &masked[0] != &ev.Attributes[0] {
			if !copied {
				m.events, copied = append([]sdktrace.Event(nil), m.events...), true
			}
			m.events[i].Attributes = masked
			changed = true
		}
	}
	if SensitiveValue(m.status.Description) {
		m.status.Description = Masked
		changed = true
	}
	if changed {
		s = m
	}
	p.SpanProcessor.OnEnd(s)
}

type maskedSpan struct {
	sdktrace.ReadOnlySpan
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	status sdktrace.Status
}

func (m maskedSpan) Attributes() []attribute.KeyValue { return m.attrs }
func (m maskedSpan) Events() []sdktrace.Event         { return m.events }
func (m maskedSpan) Status() sdktrace.Status          { return m.status }
