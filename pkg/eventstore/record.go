package eventstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cogniforge/cogniforge/pkg/store"
)

// recordFormat is the first byte of a stored record. Records are binary
// rather than JSON: a rebuild decodes every record of the feed, and JSON
// decoding was most of its time.
//
//	format byte (1)
//	uvarint version, uvarint position
//	varint time, varint recorded (Unix nanoseconds; 0 when zero)
//	uvarint len + stream, uvarint len + type, uvarint len + id
//	data (the rest)
const recordFormat = 1

func encodeRecord(r Record) []byte {
	b := make([]byte, 0, 1+4*binary.MaxVarintLen64+len(r.Stream)+len(r.Type)+len(r.ID)+3*binary.MaxVarintLen64+len(r.Data))
	b = append(b, recordFormat)
	b = binary.AppendUvarint(b, uint64(r.Version))
	b = binary.AppendUvarint(b, uint64(r.Position))
	b = binary.AppendVarint(b, nanos(r.Time))
	b = binary.AppendVarint(b, nanos(r.Recorded))
	for _, s := range []string{r.Stream, r.Type, r.ID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, r.Data...)
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

var errShort = errors.New("truncated")

func decodeRecord(b []byte) (Record, error) {
	if len(b) == 0 || b[0] != recordFormat {
		return Record{}, errors.New("unknown record format")
	}
	b = b[1:]
	var r Record
	u := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	i := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	s := func() (string, error) {
		l := u()
		if b == nil || uint64(len(b)) < l {
			return "", errShort
		}
		v := string(b[:l])
		b = b[l:]
		return v, nil
	}
	r.Version, r.Position = int64(u()), int64(u())
	r.Time, r.Recorded = fromNanos(i()), fromNanos(i())
	if b == nil {
		return Record{}, errShort
	}
	var err error
	if r.Stream, err = s(); err != nil {
		return Record{}, err
	}
	if r.Type, err = internType(&b); err != nil {
		return Record{}, err
	}
	if r.ID, err = s(); err != nil {
		return Record{}, err
	}
	if len(b) > 0 {
		// The data aliases b: the store hands out copies of its values
		// (storetest's ValuesAreCopies), so the record may keep it.
		r.Data = b[:len(b):len(b)]
	}
	return r, nil
}

func decode(it store.Item) (Record, error) {
	r, err := decodeRecord(it.Value)
	if err != nil {
		return Record{}, fmt.Errorf("eventstore: corrupt record %s/%s: %w", it.Key.Partition, it.Key.Sort, err)
	}
	return r, nil
}

// types interns event types: a feed holds few distinct ones, and a string
// per record decoded is a million allocations per rebuild. At most
// maxInterned are kept.
var types = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

const maxInterned = 1024

func internType(b *[]byte) (string, error) {
	l, n := binary.Uvarint(*b)
	if n <= 0 || uint64(len(*b)-n) < l {
		return "", errShort
	}
	raw := (*b)[n : n+int(l)]
	*b = (*b)[n+int(l):]
	types.RLock()
	t, ok := types.m[string(raw)] // no allocation for the lookup
	types.RUnlock()
	if ok {
		return t, nil
	}
	t = string(raw)
	types.Lock()
	if len(types.m) < maxInterned {
		types.m[t] = t
	}
	types.Unlock()
	return t, nil
}
