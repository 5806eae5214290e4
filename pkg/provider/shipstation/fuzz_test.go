package shipstation_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// FuzzV1Verify: Verify never panics, fails only with a provider category,
// and accepts only the configured token and a resource_url that the default
// policy allows, with the ID derived from it.
func FuzzV1Verify(f *testing.F) {
	f.Add(testToken, []byte(orderBody))
	f.Add(testToken, []byte(v1Body("https://ssapi7.shipstation.com/orders?storeID=1", "ITEM_ORDER_NOTIFY")))
	f.Add(testToken, []byte(v1Body("https://ssapi.shipstation.com:443/shipments", "SHIP_NOTIFY")))
	f.Add(testToken, []byte(`{"resource_url":"https://ssapi.shipstation.com/orders","resource_type":"X","x":1}`))
	f.Add(testToken, []byte(`{"resource_url":"https://ssapi.shipstation.com/orders","resource_type":"X","resource_url":"https://evil.example/orders"}`))
	f.Add(testToken, []byte(orderBody+"x"))
	f.Add(testToken, []byte(`[]`))
	f.Add(testToken, []byte(``))
	f.Add("", []byte(orderBody))
	f.Add("guess", []byte(orderBody))
	for _, u := range abuseURLs {
		f.Add(testToken, []byte(v1Body(u, "ORDER_NOTIFY")))
	}
	v := newV1(f, shipstation.ResourcePolicy{})
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		wh, err := v.Verify(context.Background(), provider.RequestOf(v1Request(token)), body)
		if err != nil {
			if !isCategory(err) {
				t.Fatalf("err = %v, not a provider category", err)
			}
			return
		}
		if token != testToken {
			t.Fatalf("accepted token %q", token)
		}
		var env v1Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("accepted a body encoding/json refuses: %v", err)
		}
		if _, err := (shipstation.ResourcePolicy{}).Check(env.ResourceURL); err != nil {
			t.Fatalf("accepted resource_url %q that the policy refuses: %v", env.ResourceURL, err)
		}
		if want := provider.HashID(catalog.ShipStation, catalog.ShipStation, env.ResourceURL, env.ResourceType); wh.ID != want {
			t.Fatalf("ID = %q, want %q", wh.ID, want)
		}
		if wh.Event != env.ResourceType || wh.Event == "" || !bytes.Equal(wh.Body, body) {
			t.Fatalf("webhook %+v does not match body %q", wh, body)
		}
	})
}

// FuzzV2Verify: Verify never panics, fails only with a provider category,
// and never accepts a body, timestamp or key id other than the ones signed
// with the published key.
func FuzzV2Verify(f *testing.F) {
	now := t0.Format(time.RFC3339)
	f.Add([]byte(trackBody), []byte(trackBody), "kid-a", now, "")
	f.Add([]byte(trackBody), []byte(trackBody+" "), "kid-a", now, "")
	f.Add([]byte(trackBody), []byte(trackBody), "kid-b", now, "")
	f.Add([]byte(trackBody), []byte(trackBody), "kid-a", t0.Add(-time.Hour).Format(time.RFC3339), "")
	f.Add([]byte(trackBody), []byte(trackBody), "kid-a", "2025-03-01T12:00:00.5Z", "")
	f.Add([]byte(trackBody), []byte(trackBody), "kid-a", now, "AAAA")
	f.Add([]byte("not json"), []byte("not json"), "kid-a", now, "")
	f.Add([]byte(`{"resource_type":"X","resource_url":"u","data":{}}`), []byte(`{"resource_type":"X","resource_url":"u","data":{}}`), "kid-a", now, "")

	srv := newJWKSServer(f, map[string]*rsa.PublicKey{"kid-a": &keyA().PublicKey})
	v := newV2(f, srv.URL, newClock()) // the clock stands still: unknown kids fetch at most once
	f.Fuzz(func(t *testing.T, signedBody, sentBody []byte, kid, ts, sigOverride string) {
		genuine, err := shipstation.SignV2(keyA(), ts, signedBody)
		if err != nil {
			t.Fatal(err)
		}
		d := delivery{kid: kid, sig: genuine, ts: ts, body: sentBody}
		if sigOverride != "" {
			d.sig = sigOverride
		}
		wh, err := v.Verify(context.Background(), provider.RequestOf(d.request()), d.body)
		if err != nil {
			if !isCategory(err) {
				t.Fatalf("err = %v, not a provider category", err)
			}
			return
		}
		switch {
		case kid != "kid-a":
			t.Fatalf("accepted key id %q", kid)
		case !bytes.Equal(sentBody, signedBody):
			t.Fatalf("accepted body %q signed as %q", sentBody, signedBody)
		case !sameSignature(d.sig, genuine):
			t.Fatalf("accepted signature %q, want %q", d.sig, genuine)
		case wh.ID != provider.HashID(catalog.ShipStation, "v2", string(sentBody)) || !bytes.Equal(wh.Body, sentBody):
			t.Fatalf("webhook %+v does not match body %q", wh, sentBody)
		}
		if skew := wh.Time.Sub(t0); skew > shipstation.DefaultMaxSkew || skew < -shipstation.DefaultMaxSkew {
			t.Fatalf("accepted timestamp %q", ts)
		}
	})
}

// sameSignature compares two base64 signatures by their bytes.
func sameSignature(a, b string) bool {
	ra, errA := base64.StdEncoding.DecodeString(a)
	rb, errB := base64.StdEncoding.DecodeString(b)
	return errA == nil && errB == nil && bytes.Equal(ra, rb)
}
