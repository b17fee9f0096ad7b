package idempotency

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

type status string

const (
	statusInProgress status = "INPROGRESS"
	statusCompleted  status = "COMPLETED"
)

// record is the stored value of an idempotency record.
type record struct {
	Status status `json:"status"`
	// Hash is the hex SHA-256 of the payload.
	Hash string `json:"hash"`
	// Until is when an in-progress record may be taken over (Unix ns): the
	// invocation's deadline. The stored item lives longer than that, so a
	// takeover is a versioned write and a late finisher cannot overwrite it.
	Until int64 `json:"until,omitempty"`
	// Result is the JSON result of a completed invocation.
	Result json.RawMessage `json:"result,omitempty"`
}

func (r record) encode() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return b, nil
}

var errBadRecord = errors.New("malformed idempotency record")

// decodeRecord parses a stored record; anything else in the store under an
// idempotency key is an error, never a silent pass.
func decodeRecord(b []byte) (record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return record{}, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	switch r.Status {
	case statusInProgress:
		if r.Until <= 0 {
			return record{}, fmt.Errorf("%w: in progress without expiry", errBadRecord)
		}
	case statusCompleted:
		if len(r.Result) == 0 {
			return record{}, fmt.Errorf("%w: completed without result", errBadRecord)
		}
	default:
		return record{}, fmt.Errorf("%w: status %q", errBadRecord, r.Status)
	}
	if len(r.Hash) != 64 {
		return record{}, fmt.Errorf("%w: hash %q", errBadRecord, r.Hash)
	}
	return r, nil
}

func (r record) until() time.Time { return time.Unix(0, r.Until) }
