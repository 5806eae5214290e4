package shipstation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

const testToken = "s3cret-t0ken-for-tests"

func v1Body(resourceURL, resourceType string) string {
	b, err := json.Marshal(map[string]string{"resource_url": resourceURL, "resource_type": resourceType})
	if err != nil {
		panic(err)
	}
	return string(b)
}

const (
	orderURL  = "https://ssapi.shipstation.com/orders?storeID=123456&importBatch=1ab23c4d-12ab-1abc-a1bc-a12b12cdabcd"
	orderBody = `{"resource_url":"` + orderURL + `","resource_type":"ORDER_NOTIFY"}`
)

// v1Envelope reads a body the verifier accepted.
type v1Envelope struct {
	ResourceURL  string `json:"resource_url"`
	ResourceType string `json:"resource_type"`
}

func newV1(t testing.TB, policy shipstation.ResourcePolicy) *shipstation.V1Verifier {
	t.Helper()
	v, err := shipstation.NewV1Verifier(shipstation.V1Config{Token: testToken, Resources: policy})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sandboxPolicy(t testing.TB) shipstation.ResourcePolicy {
	t.Helper()
	hosts, err := shipstation.ParseResourceHosts(`127\.0\.0\.1:\d+`)
	if err != nil {
		t.Fatal(err)
	}
	return shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true}
}

func TestNewV1VerifierRequiresToken(t *testing.T) {
	if _, err := shipstation.NewV1Verifier(shipstation.V1Config{}); err == nil {
		t.Fatal("NewV1Verifier with an empty token succeeded")
	}
}

func TestV1Verify(t *testing.T) {
	t.Parallel()
	type want struct {
		err    error
		source string
	}
	tests := []struct {
		name    string
		token   string
		body    string
		sandbox bool
		want    want
	}{
		{name: "order notify", token: testToken, body: orderBody,
			want: want{source: "/shipstation/stores/123456"}},
		{name: "item ship notify", token: testToken,
			body: `{"resource_type":"ITEM_SHIP_NOTIFY","resource_url":"https://ssapi.shipstation.com/shipments?storeID=123456&batchId=12345678&includeShipmentItems=True"}`,
			want: want{source: "/shipstation/stores/123456"}},
		{name: "all stores", token: testToken, body: v1Body("https://ssapi.shipstation.com/fulfillments?batchId=1", "FULFILLMENT_SHIPPED"),
			want: want{source: "/shipstation"}},
		{name: "storeId spelling", token: testToken, body: v1Body("https://ssapi.shipstation.com/orders?storeId=42", "ORDER_NOTIFY"),
			want: want{source: "/shipstation/stores/42"}},
		{name: "non-numeric storeID ignored", token: testToken, body: v1Body("https://ssapi.shipstation.com/orders?storeID=..%2Fx", "ORDER_NOTIFY"),
			want: want{source: "/shipstation"}},
		{name: "numbered host", token: testToken, body: v1Body("https://ssapi7.shipstation.com/orders?storeID=1", "ORDER_NOTIFY"),
			want: want{source: "/shipstation/stores/1"}},
		{name: "explicit port 443", token: testToken, body: v1Body("https://ssapi.shipstation.com:443/shipments", "SHIP_NOTIFY"),
			want: want{source: "/shipstation"}},
		{name: "unknown resource_type is passed on", token: testToken, body: v1Body(orderURL, "SOMETHING_NEW"),
			want: want{source: "/shipstation/stores/123456"}},
		{name: "trailing whitespace", token: testToken, body: orderBody + "\r\n",
			want: want{source: "/shipstation/stores/123456"}},
		{name: "sandbox policy", token: testToken, body: v1Body("http://127.0.0.1:4567/orders", "ORDER_NOTIFY"), sandbox: true,
			want: want{source: "/shipstation"}},
		{name: "sandbox policy still refuses other hosts", token: testToken, body: v1Body("http://127.0.0.1.evil.example:4567/orders", "ORDER_NOTIFY"), sandbox: true,
			want: want{err: provider.ErrMalformed}},

		{name: "missing token", body: orderBody, want: want{err: provider.ErrUnauthenticated}},
		{name: "wrong token", token: "guess", body: orderBody, want: want{err: provider.ErrUnauthenticated}},
		{name: "token prefix", token: testToken[:len(testToken)-1], body: orderBody, want: want{err: provider.ErrUnauthenticated}},
		{name: "wrong token before malformed body", token: "guess", body: "not json", want: want{err: provider.ErrUnauthenticated}},

		{name: "malformed JSON", token: testToken, body: `{"resource_url":`, want: want{err: provider.ErrMalformed}},
		{name: "extra field", token: testToken, body: `{"resource_url":"` + orderURL + `","resource_type":"ORDER_NOTIFY","x":1}`, want: want{err: provider.ErrMalformed}},
		{name: "duplicate field", token: testToken, body: `{"resource_url":"` + orderURL + `","resource_type":"ORDER_NOTIFY","resource_url":"https://evil.example/orders"}`, want: want{err: provider.ErrMalformed}},
		{name: "field name in other case", token: testToken, body: `{"Resource_URL":"` + orderURL + `","resource_type":"ORDER_NOTIFY"}`, want: want{err: provider.ErrMalformed}},
		{name: "array body", token: testToken, body: `[` + orderBody + `]`, want: want{err: provider.ErrMalformed}},
		{name: "empty body", token: testToken, body: ``, want: want{err: provider.ErrMalformed}},
		{name: "trailing garbage", token: testToken, body: orderBody + `x`, want: want{err: provider.ErrMalformed}},
		{name: "second object", token: testToken, body: orderBody + orderBody, want: want{err: provider.ErrMalformed}},
		{name: "missing resource_type", token: testToken, body: `{"resource_url":"` + orderURL + `"}`, want: want{err: provider.ErrMalformed}},
		{name: "empty resource_type", token: testToken, body: v1Body(orderURL, ""), want: want{err: provider.ErrMalformed}},
		{name: "missing resource_url", token: testToken, body: `{"resource_type":"ORDER_NOTIFY"}`, want: want{err: provider.ErrMalformed}},
		{name: "resource_url not a string", token: testToken, body: `{"resource_url":1,"resource_type":"ORDER_NOTIFY"}`, want: want{err: provider.ErrMalformed}},
		{name: "resource_url null", token: testToken, body: `{"resource_url":null,"resource_type":"ORDER_NOTIFY"}`, want: want{err: provider.ErrMalformed}},
	}
	for _, u := range abuseURLs {
		tests = append(tests, struct {
			name    string
			token   string
			body    string
			sandbox bool
			want    want
		}{name: "abuse " + u, token: testToken, body: v1Body(u, "ORDER_NOTIFY"), want: want{err: provider.ErrMalformed}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := shipstation.ResourcePolicy{}
			if tt.sandbox {
				policy = sandboxPolicy(t)
			}
			wh, err := newV1(t, policy).Verify(context.Background(), provider.RequestOf(v1Request(tt.token)), []byte(tt.body))
			requireCategory(t, err, tt.want.err)
			if err != nil {
				return
			}
			var env v1Envelope
			if err := json.Unmarshal([]byte(tt.body), &env); err != nil {
				t.Fatal(err)
			}
			wantID := provider.HashID(catalog.ShipStation, catalog.ShipStation, env.ResourceURL, env.ResourceType)
			switch {
			case wh.Provider != catalog.ShipStation:
				t.Errorf("Provider = %q", wh.Provider)
			case wh.Event != env.ResourceType:
				t.Errorf("Event = %q, want %q", wh.Event, env.ResourceType)
			case wh.ID != wantID:
				t.Errorf("ID = %q, want %q", wh.ID, wantID)
			case wh.Source != tt.want.source:
				t.Errorf("Source = %q, want %q", wh.Source, tt.want.source)
			case wh.Subject != "" || !wh.Time.Equal(time.Time{}) || wh.Extensions != nil:
				t.Errorf("Subject, Time, Extensions = %q, %v, %v; want all empty", wh.Subject, wh.Time, wh.Extensions)
			case !bytes.Equal(wh.Body, []byte(tt.body)):
				t.Errorf("Body = %q, want the request body unchanged", wh.Body)
			}
		})
	}
}

func TestV1IDIdentifiesTheResource(t *testing.T) {
	t.Parallel()
	v := newV1(t, shipstation.ResourcePolicy{})
	id := func(body string) string {
		t.Helper()
		wh, err := v.Verify(context.Background(), provider.RequestOf(v1Request(testToken)), []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return wh.ID
	}
	first := id(orderBody)
	if again := id(orderBody); again != first {
		t.Errorf("the same body twice gave IDs %q and %q", first, again)
	}
	// A retry may re-serialise the body; the ID depends on the fields only.
	if reordered := id(`{"resource_type": "ORDER_NOTIFY", "resource_url": "` + orderURL + `"}`); reordered != first {
		t.Errorf("a re-serialised body gave ID %q, want %q", reordered, first)
	}
	if other := id(v1Body(orderURL+"0", "ORDER_NOTIFY")); other == first {
		t.Error("a different resource_url gave the same ID")
	}
	if other := id(v1Body(orderURL, "ITEM_ORDER_NOTIFY")); other == first {
		t.Error("a different resource_type gave the same ID")
	}
}
