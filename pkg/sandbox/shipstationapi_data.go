package sandbox

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// The sandbox's invented data: deterministic batches of orders,
// shipments and fulfillments in ShipStation's wire shapes.

// ssBatch is what one query lists: a seed from the batch's name, its size,
// and the options that shape its items.
type ssBatch struct {
	coll      int
	seed      uint64
	size      int
	storeID   int64
	withItems bool // shipments: includeShipmentItems=true
	voidOneIn int  // shipments: see ShipStationAPI.SetVoidRate
	// at is when the batch was created (ShipStationAPI.Create), zero for
	// a batch never recorded: its items then carry invented 2025 dates.
	at time.Time
}

// recorded reports whether the batch was created through Create.
func (b ssBatch) recorded() bool { return !b.at.IsZero() }

// shipStationEpoch is where invented timestamps start.
var shipStationEpoch = time.Date(2025, 1, 6, 8, 0, 0, 0, shipstation.Pacific)

// batchName is the batch a query names: its batch parameter, or without
// one, the rest of the query.
func batchName(coll int, q url.Values) string {
	if name := queryParam(q, ssCollection[coll].batchParam); name != "" {
		return name
	}
	return "?" + batchQuery(q).Encode()
}

func newSSBatch(coll int, q url.Values) ssBatch {
	name := batchName(coll, q)
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", ssCollection[coll].key, name)
	b := ssBatch{coll: coll, seed: h.Sum64()}
	b.size = 1 + int(b.seed%5)
	b.storeID = 100_000 + int64((b.seed>>8)%900_000)
	if id, err := strconv.ParseInt(queryParam(q, "storeID"), 10, 64); err == nil && id > 0 {
		b.storeID = id
	}
	b.withItems = strings.EqualFold(queryParam(q, "includeShipmentItems"), "true")
	return b
}

// id is the i-th id of a batch: a per-batch base, salted per id kind, plus
// i. Ids of one batch are consecutive; ids of different batches rarely meet.
func (b ssBatch) id(salt uint64, i int) int64 {
	return 1_000_000_000 + int64(splitmix(b.seed^salt)%1_000_000)*ShipStationMaxBatch + int64(i)
}

func (b ssBatch) item(i int) any {
	g := ssRand{state: b.seed ^ uint64(i+1)*0x9e3779b97f4a7c15}
	switch b.coll {
	case ssOrders:
		return b.order(i, &g)
	case ssShipments:
		return b.shipment(i, &g)
	default:
		return b.fulfillment(i, &g)
	}
}

// Wire shapes. Timestamps are strings written the way ShipStation writes
// them, independently of shipstation.PacificTime, so that tests through the
// sandbox exercise the client's parsing; nil is JSON null.

type ssOrder struct {
	OrderID         int64                       `json:"orderId"`
	OrderNumber     string                      `json:"orderNumber"`
	OrderKey        string                      `json:"orderKey"`
	OrderDate       string                      `json:"orderDate"`
	CreateDate      string                      `json:"createDate"`
	ModifyDate      string                      `json:"modifyDate"`
	PaymentDate     *string                     `json:"paymentDate"`
	OrderStatus     string                      `json:"orderStatus"`
	CustomerID      int64                       `json:"customerId"`
	CustomerEmail   string                      `json:"customerEmail"`
	BillTo          shipstation.Address         `json:"billTo"`
	ShipTo          shipstation.Address         `json:"shipTo"`
	Items           []shipstation.OrderItem     `json:"items"`
	OrderTotal      float64                     `json:"orderTotal"`
	AmountPaid      float64                     `json:"amountPaid"`
	TaxAmount       float64                     `json:"taxAmount"`
	ShippingAmount  float64                     `json:"shippingAmount"`
	CarrierCode     *string                     `json:"carrierCode"`
	ServiceCode     *string                     `json:"serviceCode"`
	AdvancedOptions shipstation.AdvancedOptions `json:"advancedOptions"`
}

type ssShipment struct {
	ShipmentID     int64                      `json:"shipmentId"`
	OrderID        int64                      `json:"orderId"`
	OrderKey       string                     `json:"orderKey"`
	OrderNumber    string                     `json:"orderNumber"`
	CreateDate     string                     `json:"createDate"`
	ShipDate       string                     `json:"shipDate"`
	ShipmentCost   float64                    `json:"shipmentCost"`
	TrackingNumber string                     `json:"trackingNumber"`
	CarrierCode    string                     `json:"carrierCode"`
	ServiceCode    string                     `json:"serviceCode"`
	Voided         bool                       `json:"voided"`
	VoidDate       *string                    `json:"voidDate"`
	ShipTo         shipstation.Address        `json:"shipTo"`
	ShipmentItems  []shipstation.ShipmentItem `json:"shipmentItems"`
}

type ssFulfillment struct {
	FulfillmentID  int64               `json:"fulfillmentId"`
	OrderID        int64               `json:"orderId"`
	OrderNumber    string              `json:"orderNumber"`
	TrackingNumber string              `json:"trackingNumber"`
	CreateDate     string              `json:"createDate"`
	ShipDate       string              `json:"shipDate"`
	VoidDate       *string             `json:"voidDate"`
	CarrierCode    string              `json:"carrierCode"`
	Voided         bool                `json:"voided"`
	VoidRequested  bool                `json:"voidRequested"`
	ShipTo         shipstation.Address `json:"shipTo"`
}

// Salts for the kinds of ids.
const (
	saltOrder uint64 = iota + 1
	saltShipment
	saltFulfillment
	saltCustomer
)

func (b ssBatch) order(i int, g *ssRand) ssOrder {
	orderID := b.id(saltOrder, i)
	ordered := b.moment(i, g)
	created := ordered.Add(time.Duration(1+g.intn(120)) * time.Second).Add(g.fraction())
	modified := created.Add(time.Duration(g.intn(3600)) * time.Second).Add(g.fraction())
	status := pick(g, ssStatuses)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	shipTo := shipstation.Address{
		Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
		State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
	}
	var subtotal float64
	items := make([]shipstation.OrderItem, 1+g.intn(3))
	for j := range items {
		p := pick(g, ssProducts)
		items[j] = shipstation.OrderItem{
			OrderItemID: orderID*10 + int64(j),
			LineItemKey: fmt.Sprintf("li-%d-%d", orderID, j),
			SKU:         p.sku,
			Name:        p.name,
			Quantity:    1 + g.intn(3),
			UnitPrice:   p.price,
		}
		subtotal += float64(items[j].Quantity) * p.price
	}
	shipping := pick(g, []float64{0, 4.99, 8.5, 12})
	tax := cents(subtotal * 0.0825)
	o := ssOrder{
		OrderID:         orderID,
		OrderNumber:     fmt.Sprintf("SB-%d", orderID),
		OrderKey:        g.hex(16),
		OrderDate:       shipstation.FormatPacific(ordered),
		CreateDate:      shipstation.FormatPacific(created),
		ModifyDate:      shipstation.FormatPacific(modified),
		OrderStatus:     status,
		CustomerID:      b.id(saltCustomer, i),
		CustomerEmail:   strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", customer.first, customer.last, g.intn(100))),
		BillTo:          shipstation.Address{Name: shipTo.Name},
		ShipTo:          shipTo,
		Items:           items,
		TaxAmount:       tax,
		ShippingAmount:  shipping,
		OrderTotal:      cents(subtotal + tax + shipping),
		AdvancedOptions: shipstation.AdvancedOptions{StoreID: b.storeID},
	}
	if b.recorded() {
		o.ModifyDate = shipstation.FormatPacific(b.at) // imported (or changed) when created
	}
	if status != shipstation.OrderStatusAwaitingPayment {
		paid := shipstation.FormatPacific(ordered.Add(time.Duration(5+g.intn(300)) * time.Second).Add(g.fraction()))
		o.PaymentDate = &paid
		o.AmountPaid = o.OrderTotal
	}
	carrier := pick(g, ssCarriers)
	o.CarrierCode, o.ServiceCode = &carrier.code, &carrier.service
	return o
}

func (b ssBatch) shipment(i int, g *ssRand) ssShipment {
	orderID := b.id(saltOrder, i)
	created := b.moment(i, g)
	if b.recorded() {
		created = b.at
	}
	carrier := pick(g, ssCarriers)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	s := ssShipment{
		ShipmentID:     b.id(saltShipment, i),
		OrderID:        orderID,
		OrderKey:       g.hex(16),
		OrderNumber:    fmt.Sprintf("SB-%d", orderID),
		CreateDate:     shipstation.FormatPacific(created),
		ShipDate:       created.In(shipstation.Pacific).Format("2006-01-02"),
		ShipmentCost:   cents(3 + float64(g.intn(1500))/100),
		TrackingNumber: carrier.tracking(g),
		CarrierCode:    carrier.code,
		ServiceCode:    carrier.service,
		ShipTo: shipstation.Address{
			Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
			State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
		},
	}
	if b.voidOneIn > 0 && g.intn(b.voidOneIn) == 0 {
		s.Voided = true
		voided := created.Add(time.Duration(1+g.intn(48)) * time.Hour).Add(g.fraction())
		if b.recorded() {
			voided = b.at // created voided, so that no date lies ahead of the clock
		}
		v := shipstation.FormatPacific(voided)
		s.VoidDate = &v
	}
	if b.withItems {
		n := 1 + g.intn(3)
		for j := range n {
			p := pick(g, ssProducts)
			s.ShipmentItems = append(s.ShipmentItems, shipstation.ShipmentItem{
				OrderItemID: orderID*10 + int64(j),
				LineItemKey: fmt.Sprintf("li-%d-%d", orderID, j),
				SKU:         p.sku,
				Name:        p.name,
				Quantity:    1 + g.intn(3),
			})
		}
	}
	return s
}

func (b ssBatch) fulfillment(i int, g *ssRand) ssFulfillment {
	orderID := b.id(saltOrder, i)
	created := b.moment(i, g)
	if b.recorded() {
		created = b.at
	}
	carrier := pick(g, ssCarriers)
	customer := pick(g, ssCustomers)
	addr := pick(g, ssAddresses)
	tracking := carrier.tracking(g)
	shipped := created.Add(time.Duration(g.intn(3600)) * time.Second).Add(g.fraction())
	if b.recorded() {
		shipped = b.at
	}
	return ssFulfillment{
		FulfillmentID:  b.id(saltFulfillment, i),
		OrderID:        orderID,
		OrderNumber:    fmt.Sprintf("SB-%d", orderID),
		TrackingNumber: tracking,
		CreateDate:     shipstation.FormatPacific(created),
		ShipDate:       shipstation.FormatPacific(shipped),
		CarrierCode:    carrier.display,
		ShipTo: shipstation.Address{
			Name: customer.first + " " + customer.last, Street1: addr.street, City: addr.city,
			State: addr.state, PostalCode: addr.zip, Country: "US", Phone: addr.phone,
		},
	}
}

// moment is the i-th item's base time: the batch's day in 2025 plus a
// minute or so per index, with a 100 ns fraction; for a created batch, an
// hour before its creation minus a minute or so per index.
func (b ssBatch) moment(i int, g *ssRand) time.Time {
	if b.recorded() {
		return b.at.Add(-time.Hour - time.Duration(i)*61*time.Second).Add(-g.fraction())
	}
	day := time.Duration((b.seed>>20)%300) * 24 * time.Hour
	return shipStationEpoch.Add(day).Add(time.Duration(i) * 61 * time.Second).Add(g.fraction())
}

// ssRand is splitmix64: small, fast and the same on every platform.
type ssRand struct{ state uint64 }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func (g *ssRand) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	return splitmix(g.state)
}

func (g *ssRand) intn(n int) int { return int(g.next() % uint64(n)) }

// fraction is a sub-second offset in ShipStation's 100 ns steps.
func (g *ssRand) fraction() time.Duration { return time.Duration(g.intn(10_000_000)) * 100 }

func (g *ssRand) hex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.next())
	}
	return hex.EncodeToString(b)
}

func pick[T any](g *ssRand, from []T) T { return from[g.intn(len(from))] }

func cents(x float64) float64 { return math.Round(x*100) / 100 }

var ssStatuses = []string{
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusAwaitingShipment, shipstation.OrderStatusAwaitingShipment,
	shipstation.OrderStatusShipped, shipstation.OrderStatusShipped,
	shipstation.OrderStatusAwaitingPayment, shipstation.OrderStatusOnHold,
	shipstation.OrderStatusPendingFulfillment, shipstation.OrderStatusCancelled,
}

var ssCustomers = []struct{ first, last string }{
	{"Ada", "Lovelace"}, {"Grace", "Hopper"}, {"Alan", "Turing"}, {"Katherine", "Johnson"},
	{"Linus", "Pauling"}, {"Rosalind", "Franklin"}, {"Edsger", "Dijkstra"}, {"Barbara", "Liskov"},
}

var ssAddresses = []struct{ street, city, state, zip, phone string }{
	{"2815 Elliott Ave", "Seattle", "WA", "98121", "206-555-0142"},
	{"100 Congress Ave", "Austin", "TX", "78701", "512-555-0199"},
	{"1 Ferry Building", "San Francisco", "CA", "94111", "415-555-0117"},
	{"233 S Wacker Dr", "Chicago", "IL", "60606", "312-555-0163"},
	{"20 W 34th St", "New York", "NY", "10001", "212-555-0180"},
	{"1600 Pennsylvania Ave NW", "Washington", "DC", "20500", "202-555-0111"},
}

var ssProducts = []struct {
	sku, name string
	price     float64
}{
	{"SB-MUG-001", "Sandbox Mug, 12 oz", 14.99},
	{"SB-TEE-M", "Sandbox T-Shirt, M", 24.5},
	{"SB-CAP-001", "Sandbox Cap", 19},
	{"SB-STK-010", "Sticker Pack (10)", 4.99},
	{"SB-BAG-001", "Canvas Tote Bag", 17.25},
}

// ssCarrier is a carrier as /shipments (code) and /fulfillments (display)
// name it.
type ssCarrier struct {
	code, service, display, prefix string
	digits                         int
}

func (c ssCarrier) tracking(g *ssRand) string {
	var sb strings.Builder
	sb.WriteString(c.prefix)
	for range c.digits {
		sb.WriteByte(byte('0' + g.intn(10)))
	}
	return sb.String()
}

var ssCarriers = []ssCarrier{
	{code: "stamps_com", service: "usps_priority_mail", display: "USPS", prefix: "9400", digits: 18},
	{code: "stamps_com", service: "usps_first_class_mail", display: "USPS", prefix: "9400", digits: 18},
	{code: "ups", service: "ups_ground", display: "UPS", prefix: "1Z", digits: 16},
	{code: "fedex", service: "fedex_ground", display: "FedEx", prefix: "", digits: 12},
}
