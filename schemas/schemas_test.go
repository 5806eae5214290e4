package schemas_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/schemas"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	fulfillmentOrderSchema = "webhooks/shopline-fulfillment-order.schema.json"
	// releasedExample is the one example that is not a catalog row's: the
	// fulfillment order of fulfillment_order.update.json after its hold is
	// released, for the hold-released demo.
	releasedExample = "examples/shopline/fulfillment_order.update.released.json"
	shoplineShopID  = "1610418123456"
)

// TestCatalogRows checks every webhook row of the catalog against the files
// a user of the row reads: the schema compiles, the example validates
// against it, and the example is a body of that very event. (Canonical
// events have no example file: canonical_test.go validates what the
// normalisers produce.)
func TestCatalogRows(t *testing.T) {
	t.Parallel()
	rows := catalog.Webhooks()
	if len(rows) == 0 {
		t.Fatal("catalog.Webhooks() is empty")
	}
	for _, row := range rows {
		t.Run(row.Type, func(t *testing.T) {
			t.Parallel()
			if !strings.HasPrefix(row.Schema, schemas.SchemaDir+"/") {
				t.Fatalf("Schema %q is not under %s/", row.Schema, schemas.SchemaDir)
			}
			sch, err := schemas.Compile(row.Schema)
			if err != nil {
				t.Fatalf("Compile(%q): %v", row.Schema, err)
			}
			body, headers, err := schemas.Example(row)
			if err != nil {
				t.Fatalf("Example: %v", err)
			}
			if err := sch.Validate(decode(t, body)); err != nil {
				t.Fatalf("%s does not validate against %s: %v", row.Example, row.Schema, err)
			}
			if len(body) > 8<<10 {
				t.Errorf("%s is %d bytes; keep examples to a few KB", row.Example, len(body))
			}
			checkEventName(t, row, body, headers)
		})
	}
}

// checkEventName checks that the example carries the row's own event name
// where the provider puts it, and that the name resolves back to the row.
func checkEventName(t *testing.T, row catalog.EventType, body []byte, headers map[string]string) {
	t.Helper()
	var envelope struct {
		ResourceType string `json:"resource_type"`
		EventName    string `json:"eventName"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		t.Fatalf("%s: %v", row.Example, err)
	}
	var name string
	switch row.Provider {
	case catalog.ShipStation:
		name = envelope.ResourceType
		if headers != nil {
			t.Errorf("ShipStation sends no meaningful headers, got %v", headers)
		}
	case catalog.Snipcart:
		name = envelope.EventName
		if headers != nil {
			t.Errorf("Snipcart sends no meaningful headers, got %v", headers)
		}
	case catalog.Shopline:
		name = headers["X-Shopline-Topic"]
		checkShoplineHeaders(t, headers)
	default:
		t.Fatalf("unknown provider %q", row.Provider)
	}
	if name != row.Event {
		t.Errorf("example names event %q, the row is %q", name, row.Event)
	}
	got, err := catalog.Webhook(row.Provider, name)
	if err != nil || !got.Known || got.Type != row.Type {
		t.Errorf("catalog.Webhook(%q, %q) = %+v, %v; want the row %s", row.Provider, name, got, err, row.Type)
	}
}

func checkShoplineHeaders(t *testing.T, headers map[string]string) {
	t.Helper()
	for _, h := range []string{
		"X-Shopline-Topic", "X-Shopline-Shop-Domain", "X-Shopline-Shop-Id",
		"X-Shopline-Merchant-Id", "X-Shopline-API-Version", "X-Shopline-Webhook-Id",
	} {
		if headers[h] == "" {
			t.Errorf("headers lack %s: %v", h, headers)
		}
	}
	if got := headers["X-Shopline-Shop-Id"]; got != shoplineShopID {
		t.Errorf("X-Shopline-Shop-Id = %q, want %q", got, shoplineShopID)
	}
}

// TestSchemaFiles checks that every file under webhooks/ is a draft 2020-12
// schema with its documentation and an $id that matches where Compile
// registers it, and that some catalog row uses it.
func TestSchemaFiles(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	for _, row := range catalog.All() {
		used[row.Schema] = true
	}
	files := append(walk(t, schemas.SchemaDir), walk(t, "reconciled")...)
	if len(files) == 0 {
		t.Fatal("no schema files")
	}
	for _, p := range files {
		raw, err := fs.ReadFile(schemas.FS, p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Schema      string `json:"$schema"`
			ID          string `json:"$id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema = %q, want draft 2020-12", p, doc.Schema)
		}
		if want := schemas.BaseURL + p; doc.ID != want {
			t.Errorf("%s: $id = %q, want %q", p, doc.ID, want)
		}
		if doc.Title == "" || doc.Description == "" {
			t.Errorf("%s: title and description are required", p)
		}
		if !used[p] {
			t.Errorf("%s is not the Schema of any catalog row", p)
		}
		if _, err := schemas.Compile(p); err != nil {
			t.Errorf("Compile(%q): %v", p, err)
		}
	}
}

// TestExampleFiles checks that nothing under examples/ is stray: every body
// is a catalog row's example (or the one documented extra), every headers
// file belongs to a body and holds no secret.
func TestExampleFiles(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	for _, row := range catalog.Webhooks() {
		used[row.Example] = true
	}
	files := walk(t, "examples")
	for _, p := range files {
		switch {
		case strings.HasSuffix(p, ".headers.json"):
			body := strings.TrimSuffix(p, ".headers.json") + ".json"
			if !slices.Contains(files, body) {
				t.Errorf("%s has no body %s", p, body)
			}
			checkHeadersFile(t, p)
		case p == releasedExample:
			// checked in TestReleasedExample
		case slices.Contains(trackExamples, p):
			// checked in TestTrackExamples
		case !used[p]:
			t.Errorf("%s is not the Example of any catalog row", p)
		}
	}
	for p := range used {
		if !slices.Contains(files, p) {
			t.Errorf("catalog row example %s is missing", p)
		}
	}
}

func checkHeadersFile(t *testing.T, p string) {
	t.Helper()
	raw, err := fs.ReadFile(schemas.FS, p)
	if err != nil {
		t.Fatal(err)
	}
	var headers map[string]string // a flat object of strings, nothing else
	if err := json.Unmarshal(raw, &headers); err != nil {
		t.Errorf("%s is not a flat JSON object of strings: %v", p, err)
		return
	}
	for k, v := range headers {
		lk := strings.ToLower(k)
		for _, secret := range []string{"hmac", "signature", "secret", "token", "authorization", "api-key"} {
			if strings.Contains(lk, secret) {
				t.Errorf("%s carries %s: examples never hold a signature or secret", p, k)
			}
		}
		if k == "" || v == "" || strings.ContainsAny(k+v, "\r\n") {
			t.Errorf("%s: bad header %q: %q", p, k, v)
		}
	}
}

// TestReleasedExample checks the extra example the hold-released demo sends
// after fulfillment_order.update.json: the same fulfillment order, open, with
// no holds.
func TestReleasedExample(t *testing.T) {
	t.Parallel()
	update, err := catalog.Webhook(catalog.Shopline, "fulfillment_order/update")
	if err != nil || !update.Known {
		t.Fatalf("fulfillment_order/update is not in the catalog: %v", err)
	}
	released := update
	released.Example = releasedExample

	sch, err := schemas.Compile(fulfillmentOrderSchema)
	if err != nil {
		t.Fatal(err)
	}
	type holdsBody struct {
		FulfillmentOrder struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Holds  []struct {
				Reason      string `json:"reason"`
				ReasonNotes string `json:"reason_notes"`
			} `json:"fulfillment_holds"`
		} `json:"fulfillment_order"`
	}
	read := func(et catalog.EventType) (holdsBody, map[string]string) {
		t.Helper()
		body, headers, err := schemas.Example(et)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(decode(t, body)); err != nil {
			t.Fatalf("%s: %v", et.Example, err)
		}
		var b holdsBody
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		return b, headers
	}
	onHold, hu := read(update)
	open, hr := read(released)

	if fo := onHold.FulfillmentOrder; fo.Status != "on_hold" || len(fo.Holds) == 0 ||
		fo.Holds[0].Reason != "out of stock" || fo.Holds[0].ReasonNotes == "" {
		t.Errorf("%s: want an on_hold fulfillment order with an \"out of stock\" hold and notes, got %+v", update.Example, fo)
	}
	if fo := open.FulfillmentOrder; fo.Status != "open" || len(fo.Holds) != 0 {
		t.Errorf("%s: want an open fulfillment order without holds, got %+v", releasedExample, fo)
	}
	if onHold.FulfillmentOrder.ID == "" || onHold.FulfillmentOrder.ID != open.FulfillmentOrder.ID {
		t.Errorf("fulfillment order ids differ: %q and %q", onHold.FulfillmentOrder.ID, open.FulfillmentOrder.ID)
	}
	if hr["X-Shopline-Topic"] != "fulfillment_order/update" {
		t.Errorf("released headers: topic %q", hr["X-Shopline-Topic"])
	}
	checkShoplineHeaders(t, hr)
	if hr["X-Shopline-Webhook-Id"] == hu["X-Shopline-Webhook-Id"] {
		t.Error("the released example reuses the update's X-Shopline-Webhook-Id: JetStream would drop it as a duplicate")
	}
}

// TestWebhookIDsUnique: X-Shopline-Webhook-Id is the dedup id, so two
// examples sharing one would be stored once.
func TestWebhookIDsUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, p := range walk(t, "examples") {
		if !strings.HasSuffix(p, ".headers.json") {
			continue
		}
		var h map[string]string
		raw, _ := fs.ReadFile(schemas.FS, p)
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		id := h["X-Shopline-Webhook-Id"]
		if id == "" {
			continue
		}
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s share X-Shopline-Webhook-Id %s", p, other, id)
		}
		seen[id] = p
	}
}

// TestBrokenFixtures: the seed's broken Snipcart bodies must stay broken,
// or the gateway tests that use them would prove nothing.
func TestBrokenFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "broken", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want the 3 broken Snipcart bodies of seed 003, found %v", files)
	}
	embedded, err := schemas.Broken()
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) != len(files) {
		t.Errorf("Broken() has %d fixtures, testdata/broken has %d", len(embedded), len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(embedded[filepath.Base(f)], raw) {
			t.Errorf("Broken()[%q] differs from %s", filepath.Base(f), f)
		}
		if json.Valid(raw) {
			t.Errorf("%s is valid JSON; it must reproduce the seed's broken body", f)
		}
		if _, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err == nil {
			t.Errorf("%s: jsonschema.UnmarshalJSON accepted it", f)
		}
		if !bytes.Contains(raw, []byte(`"content": "discounts": [],`)) {
			t.Errorf("%s lacks the seed's defect (content without its opening brace)", f)
		}
	}
}

// TestSchemasRefuse makes each schema refuse bodies that are wrong in one
// way: every case starts from the valid example of a row and changes one
// thing, so a schema that accepts anything, or that lost a constraint, fails.
func TestSchemasRefuse(t *testing.T) {
	t.Parallel()
	long := "https://ssapi.shipstation.com/orders?storeID=123456&importBatch=" + strings.Repeat("a", 200)
	cases := []struct {
		name   string
		event  string // provider/event of the row whose schema and example are used
		mutate func(m map[string]any)
	}{
		// ShipStation V1: exactly two properties.
		{"v1 missing resource_type", "shipstation/ORDER_NOTIFY", del("resource_type")},
		{"v1 missing resource_url", "shipstation/ORDER_NOTIFY", del("resource_url")},
		{"v1 extra field", "shipstation/ORDER_NOTIFY", set("store_id", 123456.0)},
		{"v1 unknown resource_type", "shipstation/ORDER_NOTIFY", set("resource_type", "ORDER_CREATED")},
		{"v1 lower-case resource_type", "shipstation/ORDER_NOTIFY", set("resource_type", "order_notify")},
		{"v1 resource_url over 200 chars", "shipstation/ORDER_NOTIFY", set("resource_url", long)},
		{"v1 resource_url not a URI", "shipstation/SHIP_NOTIFY", set("resource_url", "orders?storeID=123456")},
		{"v1 resource_url http", "shipstation/SHIP_NOTIFY", set("resource_url", "http://ssapi.shipstation.com/shipments?batchId=1")},
		{"v1 resource_type number", "shipstation/SHIP_NOTIFY", set("resource_type", 1.0)},
		// ShipStation V2.
		{"v2 missing resource_type", "shipstation/TRACK_EVENT_V2", del("resource_type")},
		{"v2 V1 resource_type", "shipstation/TRACK_EVENT_V2", set("resource_type", "ORDER_NOTIFY")},
		{"v2 data not an object", "shipstation/TRACK_EVENT_V2", set("data", "in transit")},
		{"v2 missing resource_url", "shipstation/BATCH_PROCESSED_V2", del("resource_url")},
		// Snipcart orders: strict envelope.
		{"snipcart mode Prod", "snipcart/order.completed", set("mode", "Prod")},
		{"snipcart missing mode", "snipcart/order.completed", del("mode")},
		{"snipcart missing eventName", "snipcart/order.completed", del("eventName")},
		{"snipcart foreign eventName", "snipcart/order.completed", set("eventName", "order.refund.created")},
		{"snipcart createdOn not a date-time", "snipcart/order.completed", set("createdOn", "04/10/2017 19:18")},
		{"snipcart missing content", "snipcart/order.completed", del("content")},
		{"snipcart content a string", "snipcart/order.completed", set("content", "discounts")},
		{"snipcart content without token", "snipcart/order.completed", del("content.token")},
		{"snipcart unknown order status", "snipcart/order.completed", set("content.status", "Lost")},
		{"snipcart unknown payment status", "snipcart/order.completed", set("content.paymentStatus", "Maybe")},
		{"snipcart item negative quantity", "snipcart/order.completed", set("content.items.1.quantity", -1.0)},
		{"snipcart item without id", "snipcart/order.completed", del("content.items.0.id")},
		{"snipcart bad email", "snipcart/order.completed", set("content.email", "geeks at snipcart")},
		{"snipcart status event without from", "snipcart/order.status.changed", del("from")},
		{"snipcart status event bad to", "snipcart/order.status.changed", set("to", "Teleported")},
		{"snipcart payment event with order status", "snipcart/order.paymentStatus.changed", set("to", "Shipped")},
		{"snipcart tracking event without number", "snipcart/order.trackingNumber.changed", del("trackingNumber")},
		{"snipcart tracking event empty number", "snipcart/order.trackingNumber.changed", set("trackingNumber", "")},
		// Snipcart refunds, notifications, subscriptions (with $refs into snipcart-order).
		{"refund mode Prod", "snipcart/order.refund.created", set("mode", "Prod")},
		{"refund without orderToken", "snipcart/order.refund.created", del("content.orderToken")},
		{"refund amount not a number", "snipcart/order.refund.created", set("content.amount", "lots")},
		{"refund currency not ISO", "snipcart/order.refund.created", set("content.currency", "dollars")},
		{"notification unknown type", "snipcart/order.notification.created", set("content.notificationType", "Spam")},
		{"notification without orderToken", "snipcart/order.notification.created", del("content.orderToken")},
		{"notification createdOn missing", "snipcart/order.notification.created", del("createdOn")},
		{"v3 subscription without subscription", "snipcart/v3/subscription.created", del("content.subscription")},
		{"v3 subscription without id", "snipcart/v3/subscription.cancelled", del("content.subscription.id")},
		{"subscription unknown event", "snipcart/subscription.created", set("eventName", "subscription.exploded")},
		{"legacy subscription without id", "snipcart/subscription.created", del("content.id")},
		{"legacy subscription bad interval", "snipcart/subscription.paused", set("content.schedule.interval", "Fortnight")},
		// SHOPLINE fulfillment orders.
		{"fo empty body", "shopline/fulfillment_order/update", del("fulfillment_order")},
		{"fo without id", "shopline/fulfillment_order/update", del("fulfillment_order.id")},
		{"fo numeric id", "shopline/fulfillment_order/update", set("fulfillment_order.id", 4005740193290131.0)},
		{"fo unknown status", "shopline/fulfillment_order/update", set("fulfillment_order.status", "paused")},
		{"fo unknown request_status", "shopline/fulfillment_order/create", set("fulfillment_order.request_status", "maybe")},
		{"fo hold without reason", "shopline/fulfillment_order/update", del("fulfillment_order.fulfillment_holds.0.reason")},
		{"fo holds not an array", "shopline/fulfillment_order/on_hold", set("fulfillment_order.fulfillment_holds", "out of stock")},
		{"fo fulfillable_quantity words", "shopline/fulfillment_order/create", set("fulfillment_order.line_items.0.fulfillable_quantity", "two")},
		{"fo fulfillable_quantity negative", "shopline/fulfillment_order/create", set("fulfillment_order.line_items.1.fulfillable_quantity", -1.0)},
		{"fo unknown method_type", "shopline/fulfillment_order/create", set("fulfillment_order.delivery_method.method_type", "drone")},
		{"fo submitted bad requestStatus", "shopline/fulfillment_order/submitted", set("original_fulfillment_order.requestStatus", "pending")},
		// SHOPLINE fulfillments and orders.
		{"fulfillment without id", "shopline/fulfillments/create", del("id")},
		{"fulfillment created_at not a date-time", "shopline/fulfillments/create", set("created_at", "yesterday")},
		{"fulfillment tracking_numbers not an array", "shopline/fulfillments/update", set("tracking_numbers", "9400111899223344556677")},
		{"order without id", "shopline/orders/create", del("id")},
		{"order total_price words", "shopline/orders/paid", set("total_price", "twenty-six")},
		{"order currency lower case", "shopline/orders/paid", set("currency", "usd")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sch, doc := rowExample(t, tc.event)
			if err := sch.Validate(roundTrip(t, doc)); err != nil {
				t.Fatalf("the unchanged example is already invalid: %v", err)
			}
			tc.mutate(doc)
			if err := sch.Validate(roundTrip(t, doc)); err == nil {
				t.Errorf("accepted %s", mustJSON(t, doc))
			}
		})
	}
}

// TestSchemasAccept pins the leniency the providers' inconsistent docs call
// for, so that tightening a schema does not start rejecting real webhooks.
func TestSchemasAccept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		event  string
		mutate func(m map[string]any)
	}{
		{"v1 numbered ssapi host", "shipstation/ORDER_NOTIFY", set("resource_url", "https://ssapi7.shipstation.com/orders?importBatch=1ab23c4d-12ab-1abc-a1bc-a12b12cdabcd")},
		{"v1 resource_url of exactly 200 chars", "shipstation/ORDER_NOTIFY", set("resource_url", "https://ssapi.shipstation.com/orders?importBatch="+strings.Repeat("a", 200-len("https://ssapi.shipstation.com/orders?importBatch=")))},
		{"v2 extra field", "shipstation/BATCH_PROCESSED_V2", set("environment", "production")},
		{"v2 new _V2 type", "shipstation/BATCH_PROCESSED_V2", set("resource_type", "SHIPMENT_CREATED_V2")},
		{"snipcart extra top-level field", "snipcart/order.completed", set("deliveryAttempt", 2.0)},
		{"snipcart extra order field", "snipcart/order.completed", set("content.loyaltyPoints", 12.0)},
		{"snipcart null trackingUrl", "snipcart/order.trackingNumber.changed", set("trackingUrl", nil)},
		{"refund amount as string", "snipcart/order.refund.created", set("content.amount", "29.75")},
		{"notification sentByEmailOn set", "snipcart/order.notification.created", set("content.sentByEmailOn", "2017-10-05T14:05:40Z")},
		{"fo reason_note spelling", "shopline/fulfillment_order/update", set("fulfillment_order.fulfillment_holds.0.reason_note", "customer require")},
		{"fo fulfillable_quantity numeric string", "shopline/fulfillment_order/create", set("fulfillment_order.line_items.1.fulfillable_quantity", "1")},
		{"fo fulfillable_quantity number", "shopline/fulfillment_order/create", set("fulfillment_order.line_items.0.fulfillable_quantity", 2.0)},
		{"fo supported_actions one string", "shopline/fulfillment_order/update", set("fulfillment_order.supported_actions", "release_hold")},
		{"fo extra field", "shopline/fulfillment_order/update", set("fulfillment_order.fulfill_at", "2025-06-12T00:00:00+08:00")},
		{"order amount as number", "shopline/orders/paid", set("total_price", 26.0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sch, doc := rowExample(t, tc.event)
			tc.mutate(doc)
			if err := sch.Validate(roundTrip(t, doc)); err != nil {
				t.Errorf("refused %s: %v", mustJSON(t, doc), err)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	t.Parallel()
	const p = "webhooks/snipcart-refund.schema.json" // $refs into snipcart-order.schema.json
	var (
		wg  sync.WaitGroup
		got [8]*jsonschema.Schema
	)
	for i := range got {
		wg.Go(func() {
			s, err := schemas.Compile(p)
			if err != nil {
				t.Errorf("Compile(%q): %v", p, err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got[1:] {
		if s == nil || s != got[0] {
			t.Fatalf("Compile(%q) returned different schemas for one path", p)
		}
	}
	for _, bad := range []string{
		"webhooks/missing.schema.json",
		"../go.mod",
		"/webhooks/shipstation-v1.schema.json",
		"examples/shipstation/order_notify.json",
		"webhooks",
		"",
	} {
		if _, err := schemas.Compile(bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Compile(%q) = %v, want an error wrapping fs.ErrNotExist", bad, err)
		}
	}
}

func TestExampleWithoutRow(t *testing.T) {
	t.Parallel()
	et, err := catalog.Webhook(catalog.Shopline, "fulfillment_order/location_changed")
	if err != nil {
		t.Fatal(err)
	}
	if et.Known {
		t.Skip("fulfillment_order/location_changed is in the catalog now; pick another unknown event")
	}
	if _, _, err := schemas.Example(et); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Example(unknown) error = %v, want fs.ErrNotExist", err)
	}
	et.Example = "examples/shopline/nope.json"
	if _, _, err := schemas.Example(et); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Example(missing file) error = %v, want fs.ErrNotExist", err)
	}
}

func TestExampleHeaders(t *testing.T) {
	t.Parallel()
	ss, _ := catalog.Webhook(catalog.ShipStation, "ORDER_NOTIFY")
	body, headers, err := schemas.Example(ss)
	if err != nil || len(body) == 0 || headers != nil {
		t.Errorf("Example(ORDER_NOTIFY) = %d bytes, %v, %v; want a body and no headers", len(body), headers, err)
	}
	sl, _ := catalog.Webhook(catalog.Shopline, "fulfillment_order/update")
	_, headers, err = schemas.Example(sl)
	if err != nil || headers["X-Shopline-Topic"] != "fulfillment_order/update" {
		t.Errorf("Example(fulfillment_order/update) headers = %v, %v", headers, err)
	}
}

// --- helpers

// walk lists the files under dir in schemas.FS.
func walk(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(schemas.FS, dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// rowExample returns the compiled schema of the row named "provider/event"
// and its example decoded into plain maps, ready to be changed.
func rowExample(t *testing.T, name string) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	provider, event, _ := strings.Cut(name, "/")
	row, err := catalog.Webhook(provider, event)
	if err != nil || !row.Known {
		t.Fatalf("%s is not a catalog row: %v", name, err)
	}
	sch, err := schemas.Compile(row.Schema)
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := schemas.Example(row)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return sch, doc
}

func decode(t *testing.T, body []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v
}

func roundTrip(t *testing.T, doc map[string]any) any {
	t.Helper()
	return decode(t, []byte(mustJSON(t, doc)))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// set returns a mutation that sets the value at a dotted path (numbers index
// arrays); the parent must exist.
func set(p string, v any) func(map[string]any) {
	return func(m map[string]any) { parentOf(m, p).put(lastKey(p), v) }
}

// del returns a mutation that removes the value at a dotted path.
func del(p string) func(map[string]any) {
	return func(m map[string]any) { parentOf(m, p).remove(lastKey(p)) }
}

func lastKey(p string) string { return p[strings.LastIndexByte(p, '.')+1:] }

type container struct{ v any }

func (c container) put(key string, v any) {
	switch x := c.v.(type) {
	case map[string]any:
		x[key] = v
	case []any:
		i, err := strconv.Atoi(key)
		if err != nil || i >= len(x) {
			panic("bad index " + key)
		}
		x[i] = v
	default:
		panic("not a container at " + key)
	}
}

func (c container) remove(key string) {
	m, ok := c.v.(map[string]any)
	if !ok {
		panic("remove from a non-object at " + key)
	}
	if _, ok := m[key]; !ok {
		panic("nothing to remove at " + key)
	}
	delete(m, key)
}

func parentOf(m map[string]any, p string) container {
	keys := strings.Split(p, ".")
	var cur any = m
	for _, k := range keys[:len(keys)-1] {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				panic("bad index " + k + " in " + p)
			}
			cur = x[i]
		default:
			panic("no container at " + k + " in " + p)
		}
	}
	return container{cur}
}
