package shipstation

// V1WebhookEvents are the event types V1's webhook API subscribes to (and
// the resource_type of their deliveries).
var V1WebhookEvents = []string{
	"ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY",
	"FULFILLMENT_SHIPPED", "FULFILLMENT_REJECTED",
}

// V2WebhookEvents are the event names V2's webhook API
// (/v2/environment/webhooks) accepts.
var V2WebhookEvents = []string{
	"batch", "carrier_connected", "order_source_refresh_complete", "rate", "report_complete",
	"sales_orders_imported", "track", "batch_processed_v2", "fulfillment_rejected_v2",
	"fulfillment_shipped_v2", "label_created_v2", "shipment_created_v2", "track_event_v2",
}
