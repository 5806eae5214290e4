package ce_test

import (
	"maps"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/ce"
)

// viaSDK is NewMsg's reference: the same event built with the CloudEvents
// SDK and written by ToMsg.
func viaSDK(subject string, a ce.Attributes, data []byte) (*nats.Msg, error) {
	e := event.New()
	e.SetID(a.ID)
	e.SetSource(a.Source)
	e.SetType(a.Type)
	if a.Subject != "" {
		e.SetSubject(a.Subject)
	}
	if !a.Time.IsZero() {
		e.SetTime(a.Time)
	}
	for _, x := range a.Extensions {
		e.SetExtension(x.Name, x.Value)
	}
	if a.DataContentType != "" {
		if err := e.SetData(a.DataContentType, data); err != nil {
			return nil, err
		}
	} else {
		e.DataEncoded = data
	}
	return ce.ToMsg(subject, &e)
}

// agree fails unless NewMsg and the SDK accept the same attributes and
// write the same message.
func agree(t *testing.T, a ce.Attributes, data []byte) {
	t.Helper()
	want, wantErr := viaSDK("s.x", a, data)
	got, gotErr := ce.NewMsg("s.x", a, data)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%+v: NewMsg error %v, SDK error %v", a, gotErr, wantErr)
	}
	if wantErr != nil {
		return
	}
	if got.Subject != want.Subject || string(got.Data) != string(want.Data) {
		t.Errorf("%+v: message %q %q, SDK %q %q", a, got.Subject, got.Data, want.Subject, want.Data)
	}
	if !maps.EqualFunc(got.Header, want.Header, func(x, y []string) bool { return len(x) == 1 && len(y) == 1 && x[0] == y[0] }) {
		t.Errorf("%+v:\n NewMsg headers %v\n SDK headers    %v", a, got.Header, want.Header)
	}
}

func TestNewMsgAgreesWithTheSDK(t *testing.T) {
	at := time.Date(2026, 11, 22, 20, 1, 2, 345678900, time.FixedZone("x", 3600))
	gateway := ce.Attributes{
		ID: "shipstation-0123abcd", Source: "/shipstation/stores/123456", Type: "com.shipstation.order_notify",
		Subject: "order 42", Time: at, DataContentType: "application/json",
		Extensions: []ce.Extension{{"provider", "shipstation"}, {"shopid", "1610418123456"}, {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
	}
	for name, a := range map[string]ce.Attributes{
		"the gateway's":           gateway,
		"minimal":                 {ID: "1", Source: "/x", Type: "t"},
		"source with a scheme":    {ID: "1", Source: "HTTPS://Example.com/a b?c", Type: "t"},
		"source to re-escape":     {ID: "1", Source: "/a%20b/é", Type: "t"},
		"source not a URL":        {ID: "1", Source: "%zz", Type: "t"},
		"protocol-relative":       {ID: "1", Source: "//host/path", Type: "t"},
		"no source":               {ID: "1", Type: "t"},
		"blank id":                {ID: " ", Source: "/x", Type: "t"},
		"blank type":              {ID: "1", Source: "/x", Type: "\t"},
		"blank subject":           {ID: "1", Source: "/x", Type: "t", Subject: "  "},
		"values to encode":        {ID: "a%b \"c\"", Source: "/x", Type: "t\u00e9", Subject: "line\nbreak"},
		"content type":            {ID: "1", Source: "/x", Type: "t", DataContentType: "text/plain; charset=utf-8"},
		"bad content type":        {ID: "1", Source: "/x", Type: "t", DataContentType: "not a type/"},
		"upper-case extension":    {ID: "1", Source: "/x", Type: "t", Extensions: []ce.Extension{{"ShopID", "7"}}},
		"extension twice":         {ID: "1", Source: "/x", Type: "t", Extensions: []ce.Extension{{"a", "1"}, {"A", "2"}}},
		"extension named subject": {ID: "1", Source: "/x", Type: "t", Extensions: []ce.Extension{{"subject", "x"}}},
		"extension with a dash":   {ID: "1", Source: "/x", Type: "t", Extensions: []ce.Extension{{"shop-id", "x"}}},
		"empty extension name":    {ID: "1", Source: "/x", Type: "t", Extensions: []ce.Extension{{"", "x"}}},
	} {
		t.Run(name, func(t *testing.T) { agree(t, a, []byte(`{"a":1}`)) })
	}
}

func FuzzNewMsgAgreesWithTheSDK(f *testing.F) {
	f.Add("shipstation-1", "/shipstation/stores/1", "com.shipstation.order_notify", "42", "application/json", "provider", "shipstation", int64(1795379574123456789))
	f.Add("1", "https://x/y?z", "t", "", "", "a", "", int64(0))
	f.Add("1", "/a/../b", "t", " ", "text/plain", "Subject", "x", int64(-1))
	f.Fuzz(func(t *testing.T, id, source, typ, subject, contentType, extName, extValue string, unixNano int64) {
		a := ce.Attributes{ID: id, Source: source, Type: typ, Subject: subject, DataContentType: contentType}
		if unixNano != 0 {
			a.Time = time.Unix(0, unixNano)
		}
		if extName != "" || extValue != "" {
			a.Extensions = []ce.Extension{{extName, extValue}}
		}
		agree(t, a, []byte(id))
	})
}

// BenchmarkNewMsg measures NewMsg on the gateway's attributes beside the
// SDK path it replaces (event.Event and ToMsg), in the same run:
//
//	go test ./pkg/ce -run '^$' -bench NewMsg -benchmem
func BenchmarkNewMsg(b *testing.B) {
	a := ce.Attributes{
		ID: "shipstation-0123456789abcdef0123456789abcdef", Source: "/shipstation/stores/123456",
		Type: "com.shipstation.order_notify", Time: time.Now(), DataContentType: event.ApplicationJSON,
		Extensions: []ce.Extension{{"provider", "shipstation"}},
	}
	data := []byte(`{"resource_url":"https://ssapi.shipstation.com/orders?storeID=123456&importBatch=1","resource_type":"ORDER_NOTIFY"}`)
	b.Run("baseline=sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := viaSDK("webhooks.shipstation.order_notify", a, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("NewMsg", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ce.NewMsg("webhooks.shipstation.order_notify", a, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
