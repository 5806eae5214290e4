package shipstation

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// V2 API response types: the fields hookstream uses of what GET
// /v2/fulfillments and the sales orders listing return. JSON names are
// ShipStation's own (snake_case); fields not listed are ignored, null
// decodes to the zero value. The V2 API writes timestamps in UTC, with
// "Z", with an offset or with no zone at all; [V2Time] reads them all.
// Which of these shapes are documented and which are assumed is listed in
// docs/providers.md.

// V2ID is an id of the V2 API. ShipStation writes them as strings
// ("se-12345678"); a number is accepted too and kept in decimal.
type V2ID string

// UnmarshalJSON implements json.Unmarshaler.
func (id *V2ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = V2ID(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return provider.Errorf(provider.ErrMalformed, "id %s is neither a string nor a number", b)
	}
	*id = V2ID(n.String())
	return nil
}

// V2Time is a V2 timestamp in UTC; the zero time when null or empty.
// RFC 3339 with "Z" or an offset, a date-time without a zone (read as UTC,
// as the V2 API means it) and a bare date are accepted.
type V2Time struct{ time.Time }

// v2TimeLayouts are tried in order after RFC 3339.
var v2TimeLayouts = []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05", "2006-01-02"}

// UnmarshalJSON implements json.Unmarshaler.
func (t *V2Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return provider.Errorf(provider.ErrMalformed, "timestamp %s is not a string", b)
	}
	if s = strings.TrimSpace(s); s == "" {
		t.Time = time.Time{}
		return nil
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = v.UTC()
		return nil
	}
	for _, layout := range v2TimeLayouts {
		if v, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			t.Time = v
			return nil
		}
	}
	return provider.Errorf(provider.ErrMalformed, "timestamp %q is not a date", s)
}

// MarshalJSON writes RFC 3339 in UTC, or null for the zero time.
func (t V2Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// V2Amount is an amount of money. The sales order documentation does not
// show the shape of its amounts, so a bare number, a numeric string and
// {"amount": …, "currency": "usd"} are all accepted; Currency is empty
// unless the object form gives one.
type V2Amount struct {
	// Value is the amount as written, a decimal string ("" when absent).
	Value    string
	Currency string
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *V2Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*a = V2Amount{}
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '{':
		var obj struct {
			Amount   json.RawMessage `json:"amount"`
			Currency string          `json:"currency"`
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		if len(obj.Amount) > 0 {
			if err := a.UnmarshalJSON(obj.Amount); err != nil {
				return err
			}
		}
		a.Currency = strings.ToLower(strings.TrimSpace(obj.Currency))
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
		if len(b) == 0 {
			return nil
		}
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return provider.Errorf(provider.ErrMalformed, "amount %s is not a number", b)
	}
	a.Value = string(b)
	return nil
}

// MarshalJSON writes the object form.
func (a V2Amount) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	}{a.Value, a.Currency})
}

// V2Address is a V2 postal address (ship_to, bill_to).
type V2Address struct {
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Email        string `json:"email"`
	CompanyName  string `json:"company_name"`
	AddressLine1 string `json:"address_line1"`
	AddressLine2 string `json:"address_line2"`
	AddressLine3 string `json:"address_line3"`
	CityLocality string `json:"city_locality"`
	// StateProvince is the state or province code ("TX").
	StateProvince string `json:"state_province"`
	PostalCode    string `json:"postal_code"`
	// CountryCode is ISO 3166-1 alpha-2 ("US").
	CountryCode string `json:"country_code"`
}

// V2Fulfillment is one fulfillment from GET /v2/fulfillments: a shipment
// marked shipped (by a user, an order source or a fulfillment provider).
type V2Fulfillment struct {
	FulfillmentID V2ID `json:"fulfillment_id"`
	// ShipmentID is the V2 shipment fulfilled: in V2, what V1 calls an
	// order is a shipment.
	ShipmentID V2ID `json:"shipment_id"`
	// ShipmentNumber is the order number people see.
	ShipmentNumber string `json:"shipment_number"`
	TrackingNumber string `json:"tracking_number"`
	CreatedAt      V2Time `json:"created_at"`
	ShipDate       V2Time `json:"ship_date"`
	Voided         bool   `json:"voided"`
	VoidedAt       V2Time `json:"voided_at"`
	DeliveredAt    V2Time `json:"delivered_at"`
	// CarrierFriendlyName is the carrier in display case ("UPS").
	CarrierFriendlyName string `json:"fulfillment_carrier_friendly_name"`
	// ProviderCode is the fulfillment provider ("shipstation", a 3PL).
	ProviderCode string `json:"fulfillment_provider_code"`
	// CarrierCode is the carrier's code when the answer has one (it is the
	// field a fulfillment is created with); often absent from listings.
	CarrierCode string    `json:"carrier_code"`
	ShipTo      V2Address `json:"ship_to"`
}

// V2OrderSource is where a sales order was imported from.
type V2OrderSource struct {
	OrderSourceID           V2ID   `json:"order_source_id"`
	OrderSourceCode         string `json:"order_source_code"`
	OrderSourceFriendlyName string `json:"order_source_friendly_name"`
	OrderSourceNickname     string `json:"order_source_nickname"`
}

// V2SalesOrderStatus is a sales order's payment and fulfillment status.
type V2SalesOrderStatus struct {
	PaymentStatus     string `json:"payment_status"`
	FulfillmentStatus string `json:"fulfillment_status"`
	IsCancelled       bool   `json:"is_cancelled"`
}

// V2PaymentDetails are a sales order's money.
type V2PaymentDetails struct {
	Subtotal          V2Amount `json:"subtotal"`
	EstimatedShipping V2Amount `json:"estimated_shipping"`
	EstimatedTax      V2Amount `json:"estimated_tax"`
	GrandTotal        V2Amount `json:"grand_total"`
}

// V2Customer is who placed a sales order.
type V2Customer struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
	Email string `json:"email"`
}

// V2LineItemDetails describe the product of a sales order line.
type V2LineItemDetails struct {
	Name string `json:"name"`
	SKU  string `json:"sku"`
}

// V2PriceSummary is the money of a sales order line.
type V2PriceSummary struct {
	UnitPrice V2Amount `json:"unit_price"`
	Total     V2Amount `json:"total"`
}

// V2SalesOrderItem is one line of a sales order.
type V2SalesOrderItem struct {
	SalesOrderItemID V2ID              `json:"sales_order_item_id"`
	LineItemDetails  V2LineItemDetails `json:"line_item_details"`
	Quantity         int               `json:"quantity"`
	PriceSummary     V2PriceSummary    `json:"price_summary"`
}

// V2SalesOrder is one sales order imported from an order source (the
// resource of SALES_ORDERS_IMPORTED_V2).
type V2SalesOrder struct {
	SalesOrderID        V2ID               `json:"sales_order_id"`
	ExternalOrderID     string             `json:"external_order_id"`
	ExternalOrderNumber string             `json:"external_order_number"`
	OrderSource         V2OrderSource      `json:"order_source"`
	SalesOrderStatus    V2SalesOrderStatus `json:"sales_order_status"`
	OrderDate           V2Time             `json:"order_date"`
	CreatedAt           V2Time             `json:"created_at"`
	ModifiedAt          V2Time             `json:"modified_at"`
	PaymentDetails      V2PaymentDetails   `json:"payment_details"`
	Customer            V2Customer         `json:"customer"`
	BillTo              V2Address          `json:"bill_to"`
	ShipTo              V2Address          `json:"ship_to"`
	SalesOrderItems     []V2SalesOrderItem `json:"sales_order_items"`
}
