package shipmenttracker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// indexPrefix prefixes the keys of the per-order indexes in the shipments
// bucket. No provider is called "order", so they cannot meet a shipment's
// key.
const indexPrefix = "order."

// OrderIndex is the value of an order's key in the shipments bucket: the
// ids of every shipment known for the order, voided ones included (read
// each shipment's key for its state).
type OrderIndex struct {
	// OrderID is the canonical order id: "shipstation:<orderId>",
	// "shopline:<order id>".
	OrderID string `json:"order_id"`
	// Shipments are shipment ids ("shipstation:<shipmentId>",
	// "shipstation:f<fulfillmentId>", "shopline:<fulfillment id>"), sorted,
	// each once.
	Shipments []string `json:"shipments"`
}

// OrderIndexKey returns the key of an order's index in the shipments
// bucket: "order.<provider>.<external order id>" for a canonical order id
// "<provider>:<external order id>" ("order.<provider>.<account>.<id>" for
// a named account's).
func OrderIndexKey(orderID string) string {
	return indexPrefix + strings.ReplaceAll(orderID, ":", ".")
}

// index adds shipment ids to an order's index. It writes nothing when they
// are all there already, so a redelivery costs one read.
func (s *Service) index(ctx context.Context, orderID string, ids []string) error {
	_, err := s.frame.State().Apply(ctx, nil, OrderIndexKey(orderID), func(current json.RawMessage) (*state.Change, error) {
		idx := OrderIndex{OrderID: orderID}
		if current != nil {
			if err := json.Unmarshal(current, &idx); err != nil {
				return nil, runner.Permanent(fmt.Errorf("index of order %s is not readable: %w", orderID, err))
			}
		}
		added := false
		for _, id := range ids {
			if !slices.Contains(idx.Shipments, id) {
				idx.Shipments = append(idx.Shipments, id)
				added = true
			}
		}
		if !added {
			return nil, nil
		}
		slices.Sort(idx.Shipments)
		return &state.Change{State: idx}, nil
	})
	return err
}
