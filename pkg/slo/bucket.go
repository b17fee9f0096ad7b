package slo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// Counts live in the store as counters, one per SLO and time bucket, at two
// resolutions written together: a minute bucket (partition per SLO and hour,
// so an edge hour is one small query) and an hour bucket (one partition per
// SLO, so 30 days is one query of 720 items). Both keep good and total in
// one counter, total in the high 32 bits and good in the low ones, so one
// atomic add counts an event and a bucket is one item to read.
const (
	goodBits  = 32
	goodMask  = 1<<goodBits - 1
	totalUnit = int64(1) << goodBits
)

// pack is the counter delta of one event.
func pack(total, good int64) int64 { return total*totalUnit + good }

// unpack splits a bucket counter.
func unpack(v int64) (total, good int64) { return v >> goodBits, v & goodMask }

// hourIndex is the number of whole hours since the Unix epoch.
func hourIndex(t time.Time) int64 { return floorDiv(t.Unix(), 3600) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func hourPartition(slo string) string { return "slo#" + slo + "#h" }

func minutePartition(slo string, hour int64) string {
	return "slo#" + slo + "#m#" + strconv.FormatInt(hour, 10)
}

// hourSort orders by time: the index padded to a fixed width (ten digits,
// as fmt's %010d writes it).
func hourSort(hour int64) string {
	if hour < 0 {
		return fmt.Sprintf("%010d", hour)
	}
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], hour, 10)
	if pad := 10 - len(b); pad > 0 {
		b = append(buf[:0:0], "0000000000"[:pad]...)
		b = strconv.AppendInt(b, hour, 10)
	}
	return string(b)
}

// minuteSorts are the sort keys of the minutes of an hour, "00" to "59",
// made once: every counted event needs one.
var minuteSorts = func() (out [60]string) {
	for m := range out {
		out[m] = fmt.Sprintf("%02d", m)
	}
	return out
}()

func minuteSort(minuteOfHour int) string {
	if minuteOfHour >= 0 && minuteOfHour < len(minuteSorts) {
		return minuteSorts[minuteOfHour]
	}
	return fmt.Sprintf("%02d", minuteOfHour)
}

// bucketKeys returns the minute and hour bucket keys of an instant.
func bucketKeys(slo string, t time.Time) (minute, hour store.Key) {
	h := hourIndex(t)
	m := int((t.Unix() - h*3600) / 60)
	return store.Key{Partition: minutePartition(slo, h), Sort: minuteSort(m)},
		store.Key{Partition: hourPartition(slo), Sort: hourSort(h)}
}

// seenKey is the marker that an event (or one part of it, when its counts
// need more than one transaction) has been counted.
func seenKey(e *Event, part int) store.Key {
	sort := e.Source
	if part > 0 {
		sort += "#" + strconv.Itoa(part)
	}
	if sort == "" {
		sort = "-"
	}
	return store.Key{Partition: "slo#seen#" + e.ID, Sort: sort}
}
