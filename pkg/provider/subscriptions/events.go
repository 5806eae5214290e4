package subscriptions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// The catalog's schemas that tell ShipStation's V1 webhooks from V2's.
const (
	schemaShipStationV1 = "webhooks/shipstation-v1.schema.json"
	schemaShipStationV2 = "webhooks/shipstation-v2.schema.json"
)

// ShipStationV1Events are the V1 event types the catalog stores
// (ORDER_NOTIFY, …): what hookstream subscribes to at V1.
func ShipStationV1Events() []string {
	return catalogEvents(catalog.ShipStation, schemaShipStationV1)
}

// ShipStationV2Events are the V2 subscription events for the V2 webhooks
// the catalog stores: a resource type's lower-case name when V2 has that
// event (TRACK_EVENT_V2 → track_event_v2), else without its _v2 suffix
// (SALES_ORDERS_IMPORTED_V2 → sales_orders_imported), else the one V2 names
// otherwise (API_TRACK → track). It fails for a catalogued V2 webhook no
// V2 event delivers, which a test keeps from happening.
func ShipStationV2Events() ([]string, error) {
	var events []string
	for _, rt := range catalogEvents(catalog.ShipStation, schemaShipStationV2) {
		e, err := shipStationV2Event(rt)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	return events, nil
}

func shipStationV2Event(resourceType string) (string, error) {
	name := strings.ToLower(resourceType)
	for _, candidate := range []string{name, strings.TrimSuffix(name, "_v2"), strings.TrimPrefix(name, "api_")} {
		if slices.Contains(shipstation.V2WebhookEvents, candidate) {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("subscriptions: no ShipStation V2 event delivers %s", resourceType)
}

// ShoplineTopics are the SHOPLINE topics the catalog stores.
func ShoplineTopics() []string {
	return catalogEvents(catalog.Shopline, "")
}

// catalogEvents are the provider's catalogued webhook names, in catalog
// order; schema "" means any.
func catalogEvents(provider, schema string) []string {
	var events []string
	for _, et := range catalog.Webhooks() {
		if et.Provider == provider && (schema == "" || et.Schema == schema) {
			events = append(events, et.Event)
		}
	}
	return events
}
