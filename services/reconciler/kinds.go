package reconciler

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/provider/snipcart"
	"github.com/hookstream/hookstream/pkg/state"
)

// kind is one list the reconciler polls, with its own checkpoint.
type kind struct {
	// provider and name make the checkpoint key and the metric labels:
	// shipstation.orders.
	provider, name string
	// account is the named account whose list it is, "" for the default
	// account (see inAccount).
	account string
	// row is the reconciled event the kind's resources are published as.
	row catalog.EventType
	// reread, when set, makes every window reach back at least this far
	// before now: for a list that filters by creation only (Snipcart's
	// placement date), later changes are found by reading recent records
	// again.
	reread time.Duration
	// list pages through the resources changed (or created) between start
	// and end, normalised.
	list func(ctx context.Context, start, end time.Time, each func([]resource) error) error
}

// resource is one listed record as the reconciler weighs it.
type resource struct {
	// id is the provider's id of the record, for logs and ce-subject.
	id string
	// bucket and key are where the canonical state keeps it.
	bucket, key string
	// version is the canonical version the record normalises to.
	version model.Version
	// voided is a label's or fulfillment's voided flag.
	voided bool
	// storeID is the ShipStation store when the record names it (orders);
	// orderKey is the canonical order's key, to find the store of a label.
	storeID, orderKey string
	// source, when set, is the event's ce-source (Snipcart's mode,
	// SHOPLINE's shop).
	source string
	// extensions are the event's extensions beyond provider (SHOPLINE's
	// shopid, as its webhooks carry).
	extensions []ce.Extension
	// data is the record, published as the event's data.
	data any
	// invalid is why the record cannot be normalised, "" when it can.
	invalid string
}

// held reports whether stored, a canonical record's state, already holds r:
// at r's version or a newer one (or voided, when r is not), so that
// applying r would change nothing.
func (r resource) held(stored json.RawMessage) (bool, error) {
	if r.bucket == state.BucketOrders {
		var o model.Order
		if err := json.Unmarshal(stored, &o); err != nil {
			return false, err
		}
		return !r.version.After(o.Version()) || o.Deleted(), nil
	}
	var sh model.Shipment
	if err := json.Unmarshal(stored, &sh); err != nil {
		return false, err
	}
	return !r.version.After(sh.Version()) || (sh.Voided && !r.voided), nil
}

// shipStationKinds are the ShipStation lists: orders by modifyDate, labels
// by createDate and by voidDate (labels have no modify date), fulfillments
// by createDate.
func shipStationKinds(c *shipstation.Client) []kind {
	type lister[T any] func(*shipstation.Client, context.Context, shipstation.Window, func([]T) error) (shipstation.Stats, error)
	labels := func(list lister[shipstation.Shipment]) func(context.Context, time.Time, time.Time, func([]resource) error) error {
		return func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
			_, err := list(c, ctx, shipstation.Window{Start: start, End: end}, func(page []shipstation.Shipment) error { return each(mapPage(page, fromLabel)) })
			return err
		}
	}
	return []kind{
		{provider: catalog.ShipStation, name: "orders", row: reconciledRow(catalog.ShipStation, catalog.ReconciledOrder),
			list: func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
				_, err := c.OrdersModified(ctx, shipstation.Window{Start: start, End: end}, func(page []shipstation.Order) error { return each(mapPage(page, fromOrder)) })
				return err
			}},
		{provider: catalog.ShipStation, name: "shipments", row: reconciledRow(catalog.ShipStation, catalog.ReconciledShipment), list: labels((*shipstation.Client).ShipmentsCreated)},
		{provider: catalog.ShipStation, name: "voids", row: reconciledRow(catalog.ShipStation, catalog.ReconciledShipment), list: labels((*shipstation.Client).ShipmentsVoided)},
		{provider: catalog.ShipStation, name: "fulfillments", row: reconciledRow(catalog.ShipStation, catalog.ReconciledFulfillment),
			list: func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
				_, err := c.FulfillmentsCreated(ctx, shipstation.Window{Start: start, End: end}, func(page []shipstation.Fulfillment) error { return each(mapPage(page, fromFulfillment)) })
				return err
			}},
	}
}

// snipcartKinds is Snipcart's order list, by placement date only: every
// window also reads the last reread again, for the changes to recent orders
// (status, payment, tracking) whose webhooks were missed. mode is the API
// key's ("live" or "test").
func snipcartKinds(c *snipcart.OrdersClient, mode string, reread time.Duration) []kind {
	return []kind{{provider: catalog.Snipcart, name: "orders", row: reconciledRow(catalog.Snipcart, catalog.ReconciledOrder), reread: reread,
		list: func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
			_, err := c.OrdersPlaced(ctx, start, end, func(page []json.RawMessage) error {
				return each(mapPage(page, func(raw json.RawMessage) resource { return fromSnipcartOrder(raw, mode) }))
			})
			return err
		}}}
}

// shoplineKinds is SHOPLINE's order list, by updated_at. The store's id,
// which the canonical orders name (a webhook's X-Shopline-Shop-Id), comes
// from merchants/shop.json before the first list, and again after a failed
// lookup.
func shoplineKinds(c *shopline.OrdersClient) []kind {
	var (
		mu   sync.Mutex
		shop string
	)
	shopID := func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if shop != "" {
			return shop, nil
		}
		id, err := c.ShopID(ctx)
		if err != nil {
			return "", err
		}
		shop = id
		return shop, nil
	}
	return []kind{{provider: catalog.Shopline, name: "orders", row: reconciledRow(catalog.Shopline, catalog.ReconciledOrder),
		list: func(ctx context.Context, start, end time.Time, each func([]resource) error) error {
			shop, err := shopID(ctx)
			if err != nil {
				return err
			}
			return c.Updated(ctx, start, end, func(page []json.RawMessage) error {
				return each(mapPage(page, func(raw json.RawMessage) resource { return fromShoplineOrder(raw, shop) }))
			})
		}}}
}

// reconciledRow is the catalog's row for provider's kind.
func reconciledRow(provider, kind string) catalog.EventType {
	et, err := catalog.Reconciliation(provider, kind)
	if err != nil {
		panic(err) // the catalog is static
	}
	return et
}

func mapPage[T any](page []T, f func(T) resource) []resource {
	out := make([]resource, len(page))
	for i, r := range page {
		out[i] = f(r)
	}
	return out
}

// fromOrder normalises an order as the order-enricher does.
func fromOrder(o shipstation.Order) resource {
	r := resource{id: strconv.FormatInt(o.OrderID, 10), bucket: state.BucketOrders, data: o}
	if o.AdvancedOptions.StoreID > 0 {
		r.storeID = strconv.FormatInt(o.AdvancedOptions.StoreID, 10)
	}
	m, err := model.FromShipStation(o)
	if err != nil {
		r.invalid = err.Error()
		return r
	}
	r.key, r.version = m.Key(), m.Version()
	return r
}

// fromLabel normalises a label as the shipment-tracker does.
func fromLabel(l shipstation.Shipment) resource {
	r := resource{id: strconv.FormatInt(l.ShipmentID, 10), bucket: state.BucketShipments, data: l}
	sh, err := model.FromShipStationShipment(l, "")
	return withShipment(r, sh, err)
}

// fromFulfillment normalises a fulfillment as the shipment-tracker does.
func fromFulfillment(f shipstation.Fulfillment) resource {
	r := resource{id: "f" + strconv.FormatInt(f.FulfillmentID, 10), bucket: state.BucketShipments, data: f}
	sh, err := model.FromShipStationFulfillment(f, "")
	return withShipment(r, sh, err)
}

// fromSnipcartOrder normalises a Snipcart order as the order-enricher does
// a reconciled one (no webhook time: the lowest tie-break).
func fromSnipcartOrder(raw json.RawMessage, mode string) resource {
	raw = compact(raw)
	r := resource{bucket: state.BucketOrders, data: raw, source: "/" + catalog.Snipcart + "/" + mode}
	o, err := model.FromSnipcartOrder(raw, mode, time.Time{})
	if err != nil {
		r.invalid = err.Error()
		return r
	}
	r.id, r.key, r.version = strings.TrimPrefix(o.ID, catalog.Snipcart+":"), o.Key(), o.Version()
	return r
}

// fromShoplineOrder normalises a listed SHOPLINE order as the
// order-enricher does a reconciled one: the webhook's normaliser, the
// lowest tie-break at its updated_at (model.FromShoplineListedOrder).
func fromShoplineOrder(raw json.RawMessage, shop string) resource {
	raw = compact(raw)
	r := resource{bucket: state.BucketOrders, data: raw, source: "/" + catalog.Shopline + "/shops/" + shop,
		extensions: []ce.Extension{{Name: "shopid", Value: shop}}}
	o, err := model.FromShoplineListedOrder(raw, shop)
	if err != nil {
		r.invalid = err.Error()
		return r
	}
	r.id, r.key, r.version = strings.TrimPrefix(o.ID, catalog.Shopline+":"), o.Key(), o.Version()
	return r
}

// compact returns raw without insignificant space, as the event's data
// will be (raw unchanged when it is not JSON).
func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func withShipment(r resource, sh model.Shipment, err error) resource {
	if err != nil {
		r.invalid = err.Error()
		return r
	}
	r.key, r.version, r.voided = sh.Key(), sh.Version(), sh.Voided
	r.orderKey = model.Order{ID: sh.OrderID}.Key()
	return r
}
