package ce_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/ce"
)

// FromMsg reads what any publisher put on a subject: for any headers and
// data it returns an error or a valid event, which ToMsg writes back with
// the same id, and never panics.
func FuzzFromMsg(f *testing.F) {
	f.Add("shipstation-1", "/shipstation/stores/1", "com.shipstation.webhook.order_notify", "1.0", "", "application/json", []byte(`{"resource_url":"x"}`))
	f.Add("id", "/s", "t", "1.0", "application/cloudevents+json", "", []byte(`{"specversion":"1.0","id":"a","source":"/s","type":"t","data":{"x":1}}`))
	f.Add("", "", "", "", "", "", []byte(nil))
	f.Add("%zz", "/%41", "t", "0.3", "", "text/plain", []byte("x"))
	f.Fuzz(func(t *testing.T, id, source, typ, specversion, contentType, dataContentType string, data []byte) {
		h := nats.Header{}
		for k, v := range map[string]string{"ce-id": id, "ce-source": source, "ce-type": typ, "ce-specversion": specversion,
			"Content-Type": contentType, "ce-datacontenttype": dataContentType} {
			if v != "" {
				h.Set(k, v)
			}
		}
		e, err := ce.FromMsg(h, data)
		if err != nil {
			return
		}
		if verr := e.Validate(); verr != nil {
			t.Fatalf("FromMsg returned an invalid event: %v", verr)
		}
		m, err := ce.ToMsg("subject.x", e)
		if err != nil {
			t.Fatalf("ToMsg refused what FromMsg returned: %v", err)
		}
		back, err := ce.FromMsg(m.Header, m.Data)
		if err != nil || back.ID() != e.ID() || back.Type() != e.Type() || back.Source() != e.Source() {
			t.Fatalf("round trip: %v, %v", back, err)
		}
	})
}
