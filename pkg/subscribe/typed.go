package subscribe

import (
	"context"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
)

// OnOrder returns a Handler that decodes each event's data as a canonical
// order and calls fn. An event about another kind of entity, or whose data
// is not an order, goes to the DLQ without reaching fn (runner.Permanent):
// filter on orders.> subjects only.
func OnOrder(fn func(ctx context.Context, e Event, o model.Order) error) Handler {
	return typed(Event.Order, fn)
}

// OnShipment returns a Handler that decodes each event's data as a
// canonical shipment and calls fn. An event about another kind of entity,
// or whose data is not a shipment, goes to the DLQ without reaching fn:
// filter on shipments.> subjects only.
func OnShipment(fn func(ctx context.Context, e Event, s model.Shipment) error) Handler {
	return typed(Event.Shipment, fn)
}

// OnDelivered returns a Handler that calls fn for each delivered event
// (shipments.<provider>.delivered.>: the carrier has just delivered the
// parcel) with the canonical shipment, whose DeliveredAt and
// TrackingEvents say when and how. Filter on "shipments.*.delivered.>"
// so that nothing else is delivered to it: another shipment event
// (tracking_updated, delivery_updated, voided) is acknowledged without
// calling fn, and an event about another kind of entity, or whose data is
// not a shipment, goes to the DLQ like with OnShipment.
func OnDelivered(fn func(ctx context.Context, e Event, s model.Shipment) error) Handler {
	return OnShipment(func(ctx context.Context, e Event, s model.Shipment) error {
		if e.Name != catalog.ShipmentDelivered {
			return nil
		}
		return fn(ctx, e, s)
	})
}

// OnHold returns a Handler that decodes each event's data as a canonical
// fulfillment-hold record and calls fn; e.Name tells hold_placed,
// hold_released, rejected and hold_overdue apart. An event about another
// kind of entity, or whose data is not a hold record, goes to the DLQ
// without reaching fn: filter on fulfillment.> subjects only.
func OnHold(fn func(ctx context.Context, e Event, h model.FulfillmentHold) error) Handler {
	return typed(Event.Hold, fn)
}

func typed[T any](decode func(Event) (T, error), fn func(context.Context, Event, T) error) Handler {
	return func(ctx context.Context, e Event) error {
		v, err := decode(e)
		if err != nil {
			return runner.Permanent(err)
		}
		return fn(ctx, e, v)
	}
}
