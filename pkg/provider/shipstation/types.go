package shipstation

// V1 API response types: the fields hookstream uses of what GET /orders,
// /shipments and /fulfillments return. JSON names are ShipStation's own
// (camelCase); fields ShipStation leaves null decode to their zero value, and
// fields not listed here are ignored. Timestamps are [PacificTime], already
// converted to UTC.

// Order statuses as ShipStation spells them (Order.OrderStatus).
const (
	OrderStatusAwaitingPayment    = "awaiting_payment"
	OrderStatusAwaitingShipment   = "awaiting_shipment"
	OrderStatusPendingFulfillment = "pending_fulfillment"
	OrderStatusShipped            = "shipped"
	OrderStatusOnHold             = "on_hold"
	OrderStatusCancelled          = "cancelled"
)

// Address is a postal address (an order's billTo and shipTo, a shipment's
// shipTo). Any field may be empty; billTo is often only a name.
type Address struct {
	Name       string `json:"name"`
	Company    string `json:"company"`
	Street1    string `json:"street1"`
	Street2    string `json:"street2"`
	Street3    string `json:"street3"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postalCode"`
	// Country is the ISO 3166-1 alpha-2 code ("US").
	Country string `json:"country"`
	Phone   string `json:"phone"`
}

// OrderItem is one line of an order.
type OrderItem struct {
	OrderItemID int64 `json:"orderItemId"`
	// LineItemKey is the selling channel's id of the line, when it has one.
	LineItemKey string  `json:"lineItemKey"`
	SKU         string  `json:"sku"`
	Name        string  `json:"name"`
	Quantity    int     `json:"quantity"`
	UnitPrice   float64 `json:"unitPrice"`
}

// AdvancedOptions holds the order's advanced options; only the store is used.
type AdvancedOptions struct {
	// StoreID is the ShipStation store the order belongs to.
	StoreID int64 `json:"storeId"`
}

// Order is one order from GET /orders.
type Order struct {
	// OrderID is ShipStation's id; stable for the life of the order.
	OrderID int64 `json:"orderId"`
	// OrderNumber is the number the customer sees (the channel's).
	OrderNumber string `json:"orderNumber"`
	// OrderKey is the channel's unique key for the order.
	OrderKey   string      `json:"orderKey"`
	OrderDate  PacificTime `json:"orderDate"`
	CreateDate PacificTime `json:"createDate"`
	// ModifyDate is when ShipStation last changed the order: the version to
	// compare when deciding whether an update is newer than stored state.
	ModifyDate PacificTime `json:"modifyDate"`
	// PaymentDate is zero while the order is unpaid.
	PaymentDate PacificTime `json:"paymentDate"`
	// OrderStatus is one of the OrderStatus* constants.
	OrderStatus   string  `json:"orderStatus"`
	CustomerEmail string  `json:"customerEmail"`
	BillTo        Address `json:"billTo"`
	ShipTo        Address `json:"shipTo"`
	// Items are the order's lines. ShipStation includes them whether or
	// not the resource_url asks for includeOrderItems.
	Items          []OrderItem `json:"items"`
	OrderTotal     float64     `json:"orderTotal"`
	AmountPaid     float64     `json:"amountPaid"`
	TaxAmount      float64     `json:"taxAmount"`
	ShippingAmount float64     `json:"shippingAmount"`
	// CarrierCode and ServiceCode are the requested shipping, e.g.
	// "stamps_com" and "usps_priority_mail"; empty when none was chosen.
	CarrierCode     string          `json:"carrierCode"`
	ServiceCode     string          `json:"serviceCode"`
	AdvancedOptions AdvancedOptions `json:"advancedOptions"`
}

// ShipmentItem is one line of a shipment.
type ShipmentItem struct {
	OrderItemID int64  `json:"orderItemId"`
	LineItemKey string `json:"lineItemKey"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Quantity    int    `json:"quantity"`
}

// Shipment is one label created in ShipStation, from GET /shipments. Orders
// marked shipped elsewhere (and 3PL shipments) are [Fulfillment]s instead.
type Shipment struct {
	ShipmentID  int64       `json:"shipmentId"`
	OrderID     int64       `json:"orderId"`
	OrderNumber string      `json:"orderNumber"`
	CreateDate  PacificTime `json:"createDate"`
	// ShipDate is often a bare date ("2015-08-18"): midnight Pacific then.
	ShipDate       PacificTime `json:"shipDate"`
	TrackingNumber string      `json:"trackingNumber"`
	// CarrierCode is ShipStation's code, e.g. "stamps_com", "ups", "fedex".
	CarrierCode string `json:"carrierCode"`
	ServiceCode string `json:"serviceCode"`
	Voided      bool   `json:"voided"`
	// VoidDate is zero unless Voided.
	VoidDate PacificTime `json:"voidDate"`
	ShipTo   Address     `json:"shipTo"`
	// ShipmentItems is present only when the resource_url has
	// includeShipmentItems=True (ITEM_SHIP_NOTIFY); nil otherwise.
	ShipmentItems []ShipmentItem `json:"shipmentItems"`
}

// Fulfillment is an order marked shipped outside ShipStation's labels (by a
// user, a marketplace or a 3PL), from GET /fulfillments.
type Fulfillment struct {
	FulfillmentID  int64       `json:"fulfillmentId"`
	OrderID        int64       `json:"orderId"`
	OrderNumber    string      `json:"orderNumber"`
	TrackingNumber string      `json:"trackingNumber"`
	CreateDate     PacificTime `json:"createDate"`
	ShipDate       PacificTime `json:"shipDate"`
	// CarrierCode is in display case here ("USPS"), unlike a Shipment's.
	CarrierCode   string  `json:"carrierCode"`
	Voided        bool    `json:"voided"`
	VoidRequested bool    `json:"voidRequested"`
	ShipTo        Address `json:"shipTo"`
}
