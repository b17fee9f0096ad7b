package orderview

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/projection"
	"github.com/cogniforge/cogniforge/pkg/store"
)

// Version 2 of the orders API (api/orders.v2.yaml) pages: GET /v2/orders
// answers at most limit orders, in order id order, and a next cursor while
// more remain. Unlike /orders (v1, which answers the first limit orders
// and nothing after), every order can be reached, and a page costs the
// same wherever it starts: the cursor holds the last order id of the page
// and the store seeks past it (store.Seeker), reading no earlier item.

// Limits of a v2 page.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
	// MaxCursorLength bounds the cursor a client may send back.
	MaxCursorLength = 512
	// MaxOrderIDLength bounds an order id in a v2 path.
	MaxOrderIDLength = 128
)

// PageQuery selects one page of orders.
type PageQuery struct {
	Status   string
	Customer string
	// Limit is the page size; zero means DefaultPageLimit, at most
	// MaxPageLimit.
	Limit int
	// Cursor is the Next of the previous page ("" for the first page).
	// It carries the filter and the generation of the first page, so
	// Status and Customer may be left out; when given they must match.
	Cursor string
}

// Page is one page of orders.
type Page struct {
	Orders []Order `json:"orders"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// cursor is what a Cursor encodes (base64url JSON: opaque to clients,
// which must not build or read it).
type cursor struct {
	V          int    `json:"v"`
	Generation string `json:"g"`
	Status     string `json:"s,omitempty"`
	Customer   string `json:"c,omitempty"`
	After      string `json:"a"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if len(s) > MaxCursorLength {
		return c, fmt.Errorf("%w: cursor: longer than %d characters", ErrInvalid, MaxCursorLength)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.V != 1 || c.Generation == "" || c.After == "" {
		return cursor{}, fmt.Errorf("%w: cursor: not a cursor this API returned (pass the next value of the previous page unchanged)", ErrInvalid)
	}
	return c, nil
}

// ListPage returns one page of the orders q selects, read from the active
// generation of st's order model (or the cursor's generation, so that the
// pages of one listing read one consistent generation even when a rebuild
// switches the active one in between).
func ListPage(ctx context.Context, st store.Store, q PageQuery) (Page, error) {
	f := Filter{Status: q.Status, Customer: q.Customer}
	if err := f.Validate(); err != nil {
		return Page{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultPageLimit
	case limit < 0 || limit > MaxPageLimit:
		return Page{}, fmt.Errorf("%w: limit %d: want 1 to %d", ErrInvalid, limit, MaxPageLimit)
	}
	var (
		r     *projection.Reader
		after string
	)
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, err
		}
		if (q.Status != "" && q.Status != c.Status) || (q.Customer != "" && q.Customer != c.Customer) {
			return Page{}, fmt.Errorf("%w: cursor: it continues a listing with status %q and customer %q; send the same filter or none", ErrInvalid, c.Status, c.Customer)
		}
		f.Status, f.Customer, after = c.Status, c.Customer, c.After
		r = projection.GenerationReader(st, ProjectionName, c.Generation)
	} else {
		var err error
		if r, err = projection.NewReader(ctx, st, ProjectionName); err != nil {
			return Page{}, err
		}
	}
	part, filterStatus := partOrders, false
	switch {
	case f.Customer != "":
		part = partCustomer + f.Customer
		filterStatus = f.Status != ""
	case f.Status != "":
		part = partStatus + f.Status
	}
	// One more than the page tells whether another page follows. With a
	// status filter over a customer's orders, chunks are read until the
	// page is full or the partition ends.
	want := limit + 1
	out := make([]Order, 0, want)
	for len(out) < want {
		items, err := r.QueryAfter(ctx, part, "", after, want)
		if err != nil {
			return Page{}, err
		}
		for _, it := range items {
			var o Order
			if err := json.Unmarshal(it.Value, &o); err != nil {
				return Page{}, fmt.Errorf("orderview: stored order %s: %w", it.Key.Sort, err)
			}
			after = it.Key.Sort
			if filterStatus && o.Status != f.Status {
				continue
			}
			out = append(out, o)
			if len(out) == want {
				break
			}
		}
		if len(items) < want {
			break
		}
	}
	p := Page{Orders: out}
	if len(out) > limit {
		p.Orders = out[:limit]
		p.Next = cursor{V: 1, Generation: r.Generation, Status: f.Status, Customer: f.Customer, After: out[limit-1].OrderID}.encode()
	}
	return p, nil
}

// serveV2 answers the v2 routes; parts is the path after "v2".
func serveV2(ctx context.Context, st store.Store, ev cloudevents.Event, q Query, parts []string, reply func(cloudevents.Event, any) (*cloudevents.Event, error)) (*cloudevents.Event, error) {
	switch {
	case len(parts) == 1 && parts[0] == "orders":
		pq := PageQuery{Status: q.Status, Customer: q.Customer, Cursor: q.Cursor}
		if q.Limit != "" {
			n, err := strconv.Atoi(q.Limit)
			if err != nil {
				return nil, faas.Invalid("limit", fmt.Errorf("%q is not a number", q.Limit))
			}
			pq.Limit = n
		}
		page, err := ListPage(ctx, st, pq)
		if errors.Is(err, ErrInvalid) {
			return nil, faas.Invalid(invalidField(err), err)
		}
		if err != nil {
			return nil, err
		}
		return reply(ev, page)
	case len(parts) == 2 && parts[0] == "orders":
		id := parts[1]
		if len(id) > MaxOrderIDLength {
			return nil, faas.Invalid("id", fmt.Errorf("longer than %d characters", MaxOrderIDLength))
		}
		r, err := projection.NewReader(ctx, st, ProjectionName)
		if err != nil {
			return nil, err
		}
		o, err := Get(ctx, r, id)
		if errors.Is(err, ErrNotFound) {
			return nil, &faas.Error{Name: ErrNameNotFound, Message: fmt.Sprintf("no order %q", id), Status: http.StatusNotFound}
		}
		if err != nil {
			return nil, err
		}
		return reply(ev, o)
	}
	return nil, &faas.Error{Name: ErrNameNotFound, Message: fmt.Sprintf("no route %q", ev.Subject()), Status: http.StatusNotFound}
}

// invalidField names the query parameter an ErrInvalid is about.
func invalidField(err error) string {
	msg := err.Error()
	for _, f := range []string{"cursor", "limit", "status"} {
		if strings.Contains(msg, "invalid query: "+f) {
			return f
		}
	}
	return "query"
}
