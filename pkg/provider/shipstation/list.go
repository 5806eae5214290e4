package shipstation

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Date filters of the V1 list endpoints, for reconciliation: which resources
// changed in a window, whether or not their webhook arrived.

// FilterLayout is how the V1 list endpoints read a date filter
// (modifyDateStart, createDateEnd, …): Pacific local time to the second,
// without an offset.
const FilterLayout = "2006-01-02 15:04:05"

// FormatFilter writes t as a V1 date filter: America/Los_Angeles local time
// in FilterLayout, daylight saving time applied for the date. The fraction
// is dropped, so a window's start should be rounded down and its end up
// (see [Window]).
//
// In the hour clocks fall back (November, 01:00–01:59 twice) two instants
// an hour apart format alike; ShipStation's filter cannot tell them apart
// either, so a window over that hour is read by ShipStation as wider, never
// narrower, than asked for when its start is in the first pass and its end
// in the second.
func FormatFilter(t time.Time) string { return t.In(Pacific).Format(FilterLayout) }

// Window is a time range [Start, End] for a date filter. The filter's
// granularity is a second: Start is rounded down and End up when sent, and
// whether ShipStation's ends are inclusive is not documented, so callers
// overlap consecutive windows and de-duplicate.
type Window struct {
	Start, End time.Time
}

// values sets <field>Start and <field>End in q.
func (w Window) values(q url.Values, field string) {
	q.Set(field+"Start", FormatFilter(w.Start.Truncate(time.Second)))
	end := w.End.Truncate(time.Second)
	if end.Before(w.End) {
		end = end.Add(time.Second)
	}
	q.Set(field+"End", FormatFilter(end))
}

// ErrEmptyWindow is returned for a Window whose End is before its Start.
var ErrEmptyWindow = errors.New("shipstation: window ends before it starts")

// OrdersModified pages through every order whose modifyDate is in w
// (GET /orders?modifyDateStart=…&modifyDateEnd=…, all statuses, all
// stores, oldest change first), handing each page to each; an error from
// each stops the paging. See [Client] for the errors.
func (c *Client) OrdersModified(ctx context.Context, w Window, each func(orders []Order) error) (Stats, error) {
	return changed(ctx, c, "/orders", "orders", "modifyDate", w, url.Values{"sortBy": {"ModifyDate"}, "sortDir": {"ASC"}}, each)
}

// ShipmentsCreated pages through every label created in w
// (GET /shipments?createDateStart=…&createDateEnd=…), without shipment
// items.
func (c *Client) ShipmentsCreated(ctx context.Context, w Window, each func(shipments []Shipment) error) (Stats, error) {
	return changed(ctx, c, "/shipments", "shipments", "createDate", w, nil, each)
}

// ShipmentsVoided pages through every label voided in w
// (GET /shipments?voidDateStart=…&voidDateEnd=…): labels have no modify
// date, so a void is found by its own date.
func (c *Client) ShipmentsVoided(ctx context.Context, w Window, each func(shipments []Shipment) error) (Stats, error) {
	return changed(ctx, c, "/shipments", "shipments", "voidDate", w, nil, each)
}

// FulfillmentsCreated pages through every fulfillment created in w
// (GET /fulfillments?createDateStart=…&createDateEnd=…).
func (c *Client) FulfillmentsCreated(ctx context.Context, w Window, each func(fulfillments []Fulfillment) error) (Stats, error) {
	return changed(ctx, c, "/fulfillments", "fulfillments", "createDate", w, nil, each)
}

// changed lists path on the configured BaseURL with the date filter field
// set to w (and extra), through the same paging, policy check, rate limit
// and key rotation as a webhook's resource_url.
func changed[T any](ctx context.Context, c *Client, path, key, field string, w Window, extra url.Values, each func([]T) error) (Stats, error) {
	if w.End.Before(w.Start) {
		return Stats{}, ErrEmptyWindow
	}
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	w.values(q, field)
	target := strings.TrimRight(c.baseURL, "/") + path + "?" + q.Encode()
	return pages(ctx, c, target, path, key, 1, func(_ int, items []T) error { return each(items) })
}
