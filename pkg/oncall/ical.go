package oncall

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ExportOption tunes ExportICal.
type ExportOption func(*exportSettings)

type exportSettings struct{ stamp time.Time }

// Stamp sets the DTSTAMP of every event (default: the time of the call).
// Fix it to make the output reproducible.
func Stamp(t time.Time) ExportOption { return func(e *exportSettings) { e.stamp = t } }

// ExportICal writes the final schedule of s over [from, to) as an RFC 5545
// calendar: one VEVENT per shift of Shifts(from, to), with DTSTART and DTEND
// in UTC, SUMMARY "On call: <user> (<schedule>)" and a UID that is the same
// in every export of the same shift, so calendar clients update rather than
// duplicate it. Lines end in CRLF and are folded at 75 octets.
func ExportICal(w io.Writer, s *Schedule, from, to time.Time, opts ...ExportOption) error {
	set := exportSettings{stamp: time.Now()}
	for _, o := range opts {
		o(&set)
	}
	stamp := icalTime(set.stamp)
	bw := bufio.NewWriter(w)
	line := func(name, value string) { writeFolded(bw, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//CogniForge//oncall//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText("On call: "+s.name))
	for _, sh := range s.Shifts(from, to) {
		line("BEGIN", "VEVENT")
		line("UID", shiftUID(s.name, sh))
		line("DTSTAMP", stamp)
		line("DTSTART", icalTime(sh.Start))
		line("DTEND", icalTime(sh.End))
		line("SUMMARY", escapeText("On call: "+sh.User+" ("+s.name+")"))
		desc := "override"
		if sh.Layer != "" {
			desc = "layer " + sh.Layer
		}
		line("DESCRIPTION", escapeText("Schedule "+s.name+", "+desc))
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

func icalTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// shiftUID identifies a shift by schedule, user and start: a later export
// with another range, or after the shift's end moved, keeps the UID.
func shiftUID(schedule string, sh Shift) string {
	sum := sha256.Sum256([]byte(schedule + "\x00" + sh.User + "\x00" + icalTime(sh.Start)))
	return hex.EncodeToString(sum[:16]) + "@oncall.cogniforge.dev"
}

// escapeText escapes a TEXT value (RFC 5545, 3.3.11).
var escapeText = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace

// writeFolded writes a content line folded so that no line exceeds 75
// octets, never inside a UTF-8 sequence (RFC 5545, 3.1).
func writeFolded(w *bufio.Writer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}
