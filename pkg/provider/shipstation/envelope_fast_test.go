package shipstation

import (
	"testing"
)

// The bodies ShipStation sends take the fast path, with the values the
// strict parser would read.
func TestDecodeV1FastTakesRealBodies(t *testing.T) {
	for name, body := range map[string]string{
		"compact":       `{"resource_url":"https://ssapi.shipstation.com/orders?storeID=1&importBatch=x","resource_type":"ORDER_NOTIFY"}`,
		"spaced":        "{\n  \"resource_url\": \"https://ssapi.shipstation.com/shipments?batchId=1\",\n  \"resource_type\": \"SHIP_NOTIFY\"\n}\n",
		"reversed":      `{"resource_type":"ORDER_NOTIFY","resource_url":"https://ssapi.shipstation.com/orders"}`,
		"non-ASCII URL": `{"resource_url":"https://ssapi.shipstation.com/orders?x=é","resource_type":"ORDER_NOTIFY"}`,
	} {
		env, ok := decodeV1Fast([]byte(body))
		strict, err := decodeEnvelope([]byte(body), envelopeRules{exact: true, maxURLLen: MaxResourceURLLen})
		if !ok || err != nil || env != strict {
			t.Errorf("%s: fast %+v %v, strict %+v %v", name, env, ok, strict, err)
		}
	}
	for name, body := range map[string]string{
		"escape":    `{"resource_url":"https:\/\/ssapi.shipstation.com/orders","resource_type":"ORDER_NOTIFY"}`,
		"extra":     `{"resource_url":"u","resource_type":"t","x":1}`,
		"repeated":  `{"resource_url":"u","resource_url":"v"}`,
		"number":    `{"resource_url":"u","resource_type":1}`,
		"trailing":  `{"resource_url":"u","resource_type":"t"} x`,
		"bad UTF-8": "{\"resource_url\":\"\xff\",\"resource_type\":\"t\"}",
		"empty":     `{"resource_url":"","resource_type":"t"}`,
	} {
		if _, ok := decodeV1Fast([]byte(body)); ok {
			t.Errorf("%s: the fast path answered; it must leave this to the strict parser", name)
		}
	}
}

// FuzzV1FastAgrees: whenever the fast path answers, the strict parser
// accepts the same body with the same envelope.
func FuzzV1FastAgrees(f *testing.F) {
	for _, s := range []string{
		`{"resource_url":"https://ssapi.shipstation.com/orders","resource_type":"ORDER_NOTIFY"}`,
		`{"resource_type":"X","resource_url":"y"}`,
		` { "resource_url" : "a" , "resource_type" : "b" } `,
		`{"resource_url":"a\u0000","resource_type":"b"}`,
		"{\"resource_url\":\"\u2028\",\"resource_type\":\"b\"}",
		`{"Resource_URL":"a","resource_type":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, ok := decodeV1Fast(body)
		if !ok {
			return
		}
		strict, err := decodeEnvelope(body, envelopeRules{exact: true, maxURLLen: MaxResourceURLLen})
		if err != nil || strict != env {
			t.Fatalf("fast %+v, strict %+v %v for %q", env, strict, err, body)
		}
	})
}
