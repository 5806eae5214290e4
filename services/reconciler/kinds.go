package reconciler

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/state"
)

// kind is one list the reconciler polls, with its own checkpoint.
type kind struct {
	// provider and name make the checkpoint key and the metric labels:
	// shipstation.orders.
	provider, name string
	// row is the reconciled event the kind's resources are published as.
	row catalog.EventType
	// list pages through the resources changed in w, normalised.
	list func(ctx context.Context, c *shipstation.Client, w shipstation.Window, each func([]resource) error) (shipstation.Stats, error)
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
func shipStationKinds() []kind {
	row := func(k string) catalog.EventType {
		et, err := catalog.Reconciliation(catalog.ShipStation, k)
		if err != nil {
			panic(err) // the catalog is static
		}
		return et
	}
	labels := func(list func(*shipstation.Client, context.Context, shipstation.Window, func([]shipstation.Shipment) error) (shipstation.Stats, error)) func(context.Context, *shipstation.Client, shipstation.Window, func([]resource) error) (shipstation.Stats, error) {
		return func(ctx context.Context, c *shipstation.Client, w shipstation.Window, each func([]resource) error) (shipstation.Stats, error) {
			return list(c, ctx, w, func(page []shipstation.Shipment) error { return each(mapPage(page, fromLabel)) })
		}
	}
	return []kind{
		{provider: catalog.ShipStation, name: "orders", row: row(catalog.ReconciledOrder),
			list: func(ctx context.Context, c *shipstation.Client, w shipstation.Window, each func([]resource) error) (shipstation.Stats, error) {
				return c.OrdersModified(ctx, w, func(page []shipstation.Order) error { return each(mapPage(page, fromOrder)) })
			}},
		{provider: catalog.ShipStation, name: "shipments", row: row(catalog.ReconciledShipment), list: labels((*shipstation.Client).ShipmentsCreated)},
		{provider: catalog.ShipStation, name: "voids", row: row(catalog.ReconciledShipment), list: labels((*shipstation.Client).ShipmentsVoided)},
		{provider: catalog.ShipStation, name: "fulfillments", row: row(catalog.ReconciledFulfillment),
			list: func(ctx context.Context, c *shipstation.Client, w shipstation.Window, each func([]resource) error) (shipstation.Stats, error) {
				return c.FulfillmentsCreated(ctx, w, func(page []shipstation.Fulfillment) error { return each(mapPage(page, fromFulfillment)) })
			}},
	}
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

func withShipment(r resource, sh model.Shipment, err error) resource {
	if err != nil {
		r.invalid = err.Error()
		return r
	}
	r.key, r.version, r.voided = sh.Key(), sh.Version(), sh.Voided
	r.orderKey = model.Order{ID: sh.OrderID}.Key()
	return r
}
