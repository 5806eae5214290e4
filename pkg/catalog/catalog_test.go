package catalog_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/streams"
)

// subjectToken is what a subject token may contain (docs/catalog.md).
var subjectToken = regexp.MustCompile(`^[a-z0-9_-]+$`)

func TestTokens(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		want []string
	}{
		{"ORDER_NOTIFY", []string{"order_notify"}},
		{"ITEM_SHIP_NOTIFY", []string{"item_ship_notify"}},
		{"FULFILLMENT_SHIPPED_V2", []string{"fulfillment_shipped_v2"}},
		{"order.completed", []string{"order", "completed"}},
		{"order.trackingNumber.changed", []string{"order", "tracking_number", "changed"}},
		{"order.paymentStatus.changed", []string{"order", "payment_status", "changed"}},
		{"v3/subscription.created", []string{"v3", "subscription", "created"}},
		{"v3/subscription.invoice.created", []string{"v3", "subscription", "invoice", "created"}},
		{"fulfillment_order/update", []string{"fulfillment_order", "update"}},
		{"fulfillment_order/cancellation_request_submitted", []string{"fulfillment_order", "cancellation_request_submitted"}},
		{"customauth:customer_updated", []string{"customauth", "customer_updated"}},
		{"orderID", []string{"order_id"}},                          // only a lower-to-upper change splits words
		{"ABC", []string{"abc"}},                                   // upper to upper does not
		{"a_B", []string{"a_b"}},                                   // no double underscore
		{"v3Sub", []string{"v3sub"}},                               // a digit is not lower case
		{"some-event", []string{"some-event"}},                     // '-' is kept
		{"a.b.c.d.e.f.g.h", strings.Split("a.b.c.d.e.f.g.h", ".")}, // MaxTokens tokens
		{strings.Repeat("a", catalog.MaxNameLen), []string{strings.Repeat("a", catalog.MaxNameLen)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.Tokens(tc.name)
			if err != nil {
				t.Fatalf("Tokens(%q): %v", tc.name, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestTokensRefused(t *testing.T) {
	t.Parallel()
	refused := map[string]string{
		"empty":                  "",
		"empty token":            "a..b",
		"leading separator":      ".a",
		"trailing separator":     "a.",
		"trailing slash":         "a/",
		"only a separator":       ":",
		"star":                   "a*b",
		"lone star":              "*",
		"greater-than":           "a>b",
		"full wildcard":          "order.>",
		"space":                  "a b",
		"tab":                    "a\tb",
		"newline":                "a\nb",
		"NUL":                    "a\x00b",
		"comma":                  "a,b",
		"dollar":                 "$JS.API",
		"non-ASCII":              "é",
		"non-ASCII inside":       "bestellung.geändert",
		"invalid UTF-8":          "a\xffb",
		"longer than MaxNameLen": strings.Repeat("a", catalog.MaxNameLen+1),
		"more than MaxTokens":    "a.b.c.d.e.f.g.h.i",
	}
	for name, event := range refused {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := catalog.Tokens(event)
			if !errors.Is(err, catalog.ErrInvalidName) {
				t.Fatalf("Tokens(%q) = %q, %v; want an error wrapping ErrInvalidName", event, got, err)
			}
			if got != nil {
				t.Errorf("Tokens(%q) returned tokens %q with its error", event, got)
			}
		})
	}
}

// TestWebhookKnown: every row resolves from the provider's own event name to
// exactly that row.
func TestWebhookKnown(t *testing.T) {
	t.Parallel()
	for _, row := range catalog.Webhooks() {
		got, err := catalog.Webhook(row.Provider, row.Event)
		if err != nil {
			t.Errorf("Webhook(%q, %q): %v", row.Provider, row.Event, err)
			continue
		}
		if !got.Known || got != row {
			t.Errorf("Webhook(%q, %q) = %+v, want the row %+v", row.Provider, row.Event, got, row)
		}
	}
	// Spot checks of the rule against the examples of docs/catalog.md.
	for _, tc := range []struct{ provider, event, subject, typ string }{
		{catalog.ShipStation, "ORDER_NOTIFY", "webhooks.shipstation.order_notify", "com.shipstation.webhook.order_notify"},
		{catalog.Snipcart, "order.trackingNumber.changed", "webhooks.snipcart.order.tracking_number.changed", "com.snipcart.webhook.order.tracking_number.changed"},
		{catalog.Snipcart, "order.completed", "webhooks.snipcart.order.completed", "com.snipcart.webhook.order.completed"},
		{catalog.Shopline, "fulfillment_order/update", "webhooks.shopline.fulfillment_order.update", "com.shopline.webhook.fulfillment_order.update"},
	} {
		got, err := catalog.Webhook(tc.provider, tc.event)
		if err != nil || !got.Known || got.Subject != tc.subject || got.Type != tc.typ || got.Stream != catalog.StreamWebhooks {
			t.Errorf("Webhook(%q, %q) = %+v, %v; want known, %s, %s", tc.provider, tc.event, got, err, tc.subject, tc.typ)
		}
	}
}

// TestWebhookUnknown: an event the table lacks but whose name is safe is
// stored by rule, marked unknown, with no schema or example to pretend by.
func TestWebhookUnknown(t *testing.T) {
	t.Parallel()
	cases := []struct{ provider, event, tokens string }{
		{catalog.Shopline, "fulfillment_order/location_changed", "fulfillment_order.location_changed"},
		{catalog.Shopline, "products/create", "products.create"},
		{catalog.Snipcart, "customauth:customer_updated", "customauth.customer_updated"},
		{catalog.Snipcart, "v3/subscription.invoice.payment.succeeded", "v3.subscription.invoice.payment.succeeded"},
		{catalog.Snipcart, "order.shippingAddress.changed", "order.shipping_address.changed"},
		{catalog.ShipStation, "SHIPMENT_VOIDED_V2", "shipment_voided_v2"},
	}
	for _, tc := range cases {
		got, err := catalog.Webhook(tc.provider, tc.event)
		if err != nil {
			t.Errorf("Webhook(%q, %q): %v", tc.provider, tc.event, err)
			continue
		}
		want := catalog.EventType{
			Type:     "com." + tc.provider + ".webhook." + tc.tokens,
			Subject:  "webhooks." + tc.provider + "." + tc.tokens,
			Stream:   catalog.StreamWebhooks,
			Provider: tc.provider,
			Event:    tc.event,
		}
		if got != want {
			t.Errorf("Webhook(%q, %q) = %+v, want %+v", tc.provider, tc.event, got, want)
		}
		if _, ok := catalog.ByType(got.Type); ok {
			t.Errorf("ByType(%q) finds a row for an unknown event", got.Type)
		}
	}
}

func TestWebhookRefused(t *testing.T) {
	t.Parallel()
	cases := []struct{ provider, event string }{
		{catalog.Snipcart, ""},
		{catalog.Snipcart, "order.>"},
		{catalog.Snipcart, "order.*"},
		{catalog.Snipcart, "order completed"},
		{catalog.Snipcart, "order..completed"},
		{catalog.Shopline, "orders/*"},
		{catalog.Shopline, "orders/create\r\nX-Injected: 1"},
		{catalog.ShipStation, "ORDER NOTIFY"},
		{catalog.ShipStation, strings.Repeat("A", catalog.MaxNameLen+1)},
		// Separators the provider never uses (an event name is not free-form
		// within a provider: a dot in a SHOPLINE topic would create a
		// subject the topic's own rule cannot produce).
		{catalog.ShipStation, "ORDER.NOTIFY"},
		{catalog.Shopline, "orders.create"},
	}
	for _, tc := range cases {
		if got, err := catalog.Webhook(tc.provider, tc.event); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Webhook(%q, %q) = %+v, %v; want ErrInvalidName", tc.provider, tc.event, got, err)
		}
	}
}

// TestTable checks the invariants every consumer of the table relies on.
func TestTable(t *testing.T) {
	t.Parallel()
	streams := map[string][]string{
		catalog.StreamWebhooks:    streams.Webhooks(streams.Options{}).Subjects,
		catalog.StreamOrders:      streams.Orders(streams.Options{}).Subjects,
		catalog.StreamShipments:   streams.Shipments(streams.Options{}).Subjects,
		catalog.StreamFulfillment: streams.Fulfillment(streams.Options{}).Subjects,
	}
	rows := catalog.All()
	if len(rows) == 0 {
		t.Fatal("empty table")
	}
	types := map[string]bool{}
	subjects := map[string]string{}
	for _, row := range rows {
		if !row.Known {
			t.Errorf("%s: table rows are Known", row.Type)
		}
		if types[row.Type] && !row.Canonical() {
			t.Errorf("duplicate type %s", row.Type)
		}
		types[row.Type] = true
		if other, dup := subjects[row.Subject]; dup {
			t.Errorf("%s and %s share subject %s", row.Type, other, row.Subject)
		}
		subjects[row.Subject] = row.Type

		filters, ok := streams[row.Stream]
		if !ok {
			t.Errorf("%s: no definition for stream %q", row.Type, row.Stream)
		} else if !slices.ContainsFunc(filters, func(f string) bool { return subjectMatches(f, row.Subject) }) {
			t.Errorf("%s: subject %s is not covered by stream %s %v", row.Type, row.Subject, row.Stream, filters)
		}

		tokens := strings.Split(row.Subject, ".")
		for _, tok := range tokens {
			if !subjectToken.MatchString(tok) {
				t.Errorf("%s: subject token %q of %s is not [a-z0-9_-]+", row.Type, tok, row.Subject)
			}
		}
		if row.Canonical() {
			checkCanonicalRow(t, row, tokens)
			continue
		}
		if row.Reconciled {
			checkReconciledRow(t, row)
			continue
		}
		if len(tokens) < 3 || tokens[0] != "webhooks" || tokens[1] != row.Provider {
			t.Errorf("%s: subject %s is not webhooks.<provider>.<event tokens>", row.Type, row.Subject)
		}
		event := strings.Join(tokens[2:], ".")
		if want := "com." + row.Provider + ".webhook." + event; row.Type != want {
			t.Errorf("type %s, want %s for subject %s", row.Type, want, row.Subject)
		}
		if want, err := catalog.Tokens(row.Event); err != nil || strings.Join(want, ".") != event {
			t.Errorf("%s: subject tokens %q, Tokens(%q) = %q, %v", row.Type, event, row.Event, want, err)
		}
		if !strings.HasPrefix(row.Schema, "webhooks/") || !strings.HasSuffix(row.Schema, ".schema.json") {
			t.Errorf("%s: schema %q is not webhooks/*.schema.json", row.Type, row.Schema)
		}
		if want := "examples/" + row.Provider + "/" + event + ".json"; row.Example != want {
			t.Errorf("%s: example %q, want %q", row.Type, row.Example, want)
		}
	}
}

// checkCanonicalRow checks one of hookstream's own events: subject
// <root>.<provider>.<event>, type under catalog.TypePrefix, a canonical
// schema.
func checkCanonicalRow(t *testing.T, row catalog.EventType, tokens []string) {
	t.Helper()
	if len(tokens) != 3 || tokens[1] != row.Provider || tokens[2] != row.Event {
		t.Errorf("%s: subject %s is not <root>.%s.%s", row.Type, row.Subject, row.Provider, row.Event)
	}
	if !strings.HasPrefix(row.Type, catalog.TypePrefix) {
		t.Errorf("%s: canonical type lacks the %s prefix", row.Type, catalog.TypePrefix)
	}
	if !strings.HasPrefix(row.Schema, "canonical/") || !strings.HasSuffix(row.Schema, ".schema.json") {
		t.Errorf("%s: schema %q is not canonical/*.schema.json", row.Type, row.Schema)
	}
	if got, ok := catalog.BySubject(row.Subject); !ok || got != row {
		t.Errorf("BySubject(%q) = %+v, %v", row.Subject, got, ok)
	}
	entity := row.Subject + ".1610418123456.4005740193290131085320"
	if got, ok := catalog.BySubject(entity); ok != row.Canonical() || (ok && got != row) {
		t.Errorf("BySubject(%q) = %+v, %v; only canonical events have entity subjects", entity, got, ok)
	}
}

// checkReconciledRow checks one of the reconciler's rows:
// webhooks.<provider>.reconciled.<kind>, a reconciled/ schema, no example,
// found by Reconciliation, not among Webhooks, and no provider event name
// resolves to it.
func checkReconciledRow(t *testing.T, row catalog.EventType) {
	t.Helper()
	kind := strings.TrimPrefix(row.Event, catalog.ReconciledToken+".")
	if want := "webhooks." + row.Provider + ".reconciled." + kind; row.Subject != want {
		t.Errorf("%s: subject %s, want %s", row.Type, row.Subject, want)
	}
	if want := "com." + row.Provider + ".webhook.reconciled." + kind; row.Type != want {
		t.Errorf("%s: type, want %s", row.Type, want)
	}
	if !strings.HasPrefix(row.Schema, "reconciled/") || row.Example != "" {
		t.Errorf("%s: schema %q example %q, want reconciled/… and none", row.Type, row.Schema, row.Example)
	}
	if got, err := catalog.Reconciliation(row.Provider, kind); err != nil || got != row {
		t.Errorf("Reconciliation(%s, %s) = %+v, %v", row.Provider, kind, got, err)
	}
	if slices.ContainsFunc(catalog.Webhooks(), func(et catalog.EventType) bool { return et.Type == row.Type }) {
		t.Errorf("%s is among Webhooks()", row.Type)
	}
	for _, name := range []string{row.Event, "reconciled/" + kind, "reconciled"} {
		if got, err := catalog.Webhook(row.Provider, name); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Webhook(%s, %q) = %+v, %v; want ErrInvalidName (reserved)", row.Provider, name, got, err)
		}
	}
}

func TestReconciliations(t *testing.T) {
	t.Parallel()
	want := []string{"shipstation order", "shipstation shipment", "shipstation fulfillment", "snipcart order", "shopline order"}
	var got []string
	for _, et := range catalog.Reconciliations() {
		got = append(got, et.Provider+" "+strings.TrimPrefix(et.Event, "reconciled."))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Reconciliations() = %q, want %q", got, want)
	}
	if _, err := catalog.Reconciliation(catalog.Shopline, catalog.ReconciledOrder); err != nil {
		t.Errorf("Reconciliation(shopline, order): %v", err)
	}
	if _, err := catalog.Reconciliation(catalog.Snipcart, catalog.ReconciledShipment); err == nil {
		t.Error("Reconciliation(snipcart, shipment) found a row")
	}
}

func TestByType(t *testing.T) {
	t.Parallel()
	for _, row := range catalog.All() {
		got, ok := catalog.ByType(row.Type)
		if row.Canonical() {
			if !ok || got.Type != row.Type {
				t.Errorf("ByType(%q) = %+v, %v", row.Type, got, ok)
			}
			continue
		}
		if !ok || got != row {
			t.Errorf("ByType(%q) = %+v, %v; want the row", row.Type, got, ok)
		}
	}
	for _, typ := range []string{"", "com.shipstation.webhook", "com.shipstation.webhook.order_notify.x", "COM.SHIPSTATION.WEBHOOK.ORDER_NOTIFY"} {
		if got, ok := catalog.ByType(typ); ok {
			t.Errorf("ByType(%q) = %+v, want no row", typ, got)
		}
	}
}

func TestAllIsACopy(t *testing.T) {
	t.Parallel()
	rows := catalog.All()
	want := rows[0]
	rows[0].Subject = "webhooks.changed"
	rows[0].Known = false
	if got := catalog.All()[0]; got != want {
		t.Errorf("changing All()'s result changed the table: %+v", got)
	}
	if got, _ := catalog.ByType(want.Type); got != want {
		t.Errorf("changing All()'s result changed ByType: %+v", got)
	}
}

// FuzzTokens: whatever the name, Tokens either refuses it with
// ErrInvalidName or returns tokens that are safe as subject tokens.
func FuzzTokens(f *testing.F) {
	for _, row := range catalog.All() {
		f.Add(row.Event)
	}
	for _, s := range []string{
		"", "a..b", ".a", "a.", "a*b", "a>b", "a b", "order.>", "é", "a\x00b", "a\tb",
		"customauth:customer_updated", "aBcDeF.gHiJ/kL:mN", "a.b.c.d.e.f.g.h.i",
		strings.Repeat("aB", catalog.MaxNameLen/2),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tokens, err := catalog.Tokens(name)
		if err != nil {
			if !errors.Is(err, catalog.ErrInvalidName) {
				t.Fatalf("Tokens(%q): error %v does not wrap ErrInvalidName", name, err)
			}
			if tokens != nil {
				t.Fatalf("Tokens(%q): tokens %q returned with an error", name, tokens)
			}
			return
		}
		if len(name) > catalog.MaxNameLen {
			t.Fatalf("Tokens accepted a %d-byte name", len(name))
		}
		if len(tokens) == 0 || len(tokens) > catalog.MaxTokens {
			t.Fatalf("Tokens(%q) = %d tokens", name, len(tokens))
		}
		for _, tok := range tokens {
			if !subjectToken.MatchString(tok) {
				t.Fatalf("Tokens(%q) = %q: token %q is not [a-z0-9_-]+", name, tokens, tok)
			}
		}
		// The output is a fixed point of the rule when it fits the limit.
		if joined := strings.Join(tokens, "."); len(joined) <= catalog.MaxNameLen {
			again, err := catalog.Tokens(joined)
			if err != nil || !slices.Equal(again, tokens) {
				t.Fatalf("Tokens(%q) = %q, %v; want %q", joined, again, err, tokens)
			}
		}
	})
}

// subjectMatches reports whether a NATS subject filter (with * and >)
// matches a literal subject.
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, ft := range f {
		switch {
		case ft == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case ft != "*" && ft != s[i]:
			return false
		}
	}
	return len(f) == len(s)
}

func TestSubjectMatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		filter, subject string
		want            bool
	}{
		{"webhooks.>", "webhooks.shipstation.order_notify", true},
		{"webhooks.>", "webhooks", false},
		{"webhooks.*", "webhooks.shipstation.order_notify", false},
		{"webhooks.*.order_notify", "webhooks.shipstation.order_notify", true},
		{"orders.>", "webhooks.shipstation.order_notify", false},
	} {
		if got := subjectMatches(tc.filter, tc.subject); got != tc.want {
			t.Errorf("subjectMatches(%q, %q) = %v", tc.filter, tc.subject, got)
		}
	}
}

// Webhook refuses a provider that is not one of the three, so no caller
// can put a wildcard or an extra token into a subject through it.
func TestWebhookRefusesUnknownProviders(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "*", ">", "shop.line", "a b", "Shopline", "acme"} {
		if et, err := catalog.Webhook(p, "orders/create"); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Webhook(%q, orders/create) = %q, %v; want ErrInvalidName", p, et.Subject, err)
		}
	}
}
