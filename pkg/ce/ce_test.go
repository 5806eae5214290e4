package ce_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/natstest"
)

// body is a provider body with bytes that are not UTF-8: the data must
// travel byte for byte, whatever it is.
var body = []byte("{\"fulfillment_order\":{\"id\":\"4005740193290131085320\",\"status\":\"on_hold\"}}\n\xff\xfe\x00\x80")

// sample returns a complete event of the kind the gateway publishes.
func sample(t testing.TB) *event.Event {
	t.Helper()
	e := event.New()
	e.SetID("b54557e48a5fbf7d70bcd043")
	e.SetSource("/shopline/shops/1610418123456")
	e.SetType("com.shopline.webhook.fulfillment_order.update")
	e.SetSubject("4005740193290131085320")
	e.SetTime(time.Date(2025, 6, 3, 9, 58, 21, 123456789, time.UTC))
	e.SetDataSchema("https://hookstream.dev/schemas/webhooks/shopline-fulfillment-order.schema.json")
	e.SetExtension("provider", "shopline")
	e.SetExtension("shopid", "1610418123456")
	e.SetExtension("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err := e.SetData("application/json", bytes.Clone(body)); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	return &e
}

// assertSameEvent compares what a consumer reads of an event. Extension
// values are compared as strings: binary mode carries every value as text.
func assertSameEvent(t *testing.T, got, want *event.Event) {
	t.Helper()
	for _, c := range []struct{ name, got, want string }{
		{"specversion", got.SpecVersion(), want.SpecVersion()},
		{"id", got.ID(), want.ID()},
		{"source", got.Source(), want.Source()},
		{"type", got.Type(), want.Type()},
		{"subject", got.Subject(), want.Subject()},
		{"datacontenttype", got.DataContentType(), want.DataContentType()},
		{"dataschema", got.DataSchema(), want.DataSchema()},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !got.Time().Equal(want.Time()) {
		t.Errorf("time = %v, want %v", got.Time(), want.Time())
	}
	if g, w := stringExtensions(got), stringExtensions(want); !maps.Equal(g, w) {
		t.Errorf("extensions = %v, want %v", g, w)
	}
	if !bytes.Equal(got.Data(), want.Data()) {
		t.Errorf("data = %q, want %q", got.Data(), want.Data())
	}
}

func stringExtensions(e *event.Event) map[string]string {
	m := map[string]string{}
	for k, v := range e.Extensions() {
		s, _ := v.(string)
		m[k] = s
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	want := sample(t)
	m, err := ce.ToMsg("webhooks.shopline.fulfillment_order.update", want)
	if err != nil {
		t.Fatalf("ToMsg: %v", err)
	}
	if m.Subject != "webhooks.shopline.fulfillment_order.update" {
		t.Errorf("subject = %q", m.Subject)
	}
	if !bytes.Equal(m.Data, body) {
		t.Errorf("payload = %q, want the data byte for byte", m.Data)
	}
	got, err := ce.FromMsg(m.Header, m.Data)
	if err != nil {
		t.Fatalf("FromMsg: %v", err)
	}
	assertSameEvent(t, got, want)
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	e := sample(t)
	m, err := ce.ToMsg("webhooks.shopline.fulfillment_order.update", e)
	if err != nil {
		t.Fatal(err)
	}
	for key := range m.Header {
		if key == ce.HeaderMsgID {
			continue
		}
		if !strings.HasPrefix(key, ce.HeaderPrefix) || key != strings.ToLower(key) {
			t.Errorf("header %q: want lower-case ce-* only (nats.go headers are case-sensitive)", key)
		}
	}
	want := map[string]string{
		"ce-specversion":     "1.0",
		"ce-id":              "b54557e48a5fbf7d70bcd043",
		"ce-source":          "/shopline/shops/1610418123456",
		"ce-type":            "com.shopline.webhook.fulfillment_order.update",
		"ce-subject":         "4005740193290131085320",
		"ce-time":            "2025-06-03T09:58:21.123456789Z",
		"ce-datacontenttype": "application/json",
		"ce-dataschema":      "https://hookstream.dev/schemas/webhooks/shopline-fulfillment-order.schema.json",
		"ce-provider":        "shopline",
		"ce-shopid":          "1610418123456",
		"ce-traceparent":     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	}
	for k, v := range want {
		if got := m.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
	if n := len(m.Header); n != len(want)+1 {
		t.Errorf("%d headers, want %d: %v", n, len(want)+1, m.Header)
	}
	if id := m.Header.Get(ce.HeaderMsgID); id == "" || id != m.Header.Get("ce-id") || id != e.ID() {
		t.Errorf("Nats-Msg-Id = %q, ce-id = %q: want both the event id", id, m.Header.Get("ce-id"))
	}
	if m.Header.Get(ce.HeaderContentType) != "" {
		t.Error("binary mode must not set Content-Type (ce-datacontenttype carries it)")
	}
}

func TestPercentEncodingThroughHeaders(t *testing.T) {
	t.Parallel()
	e := sample(t)
	e.SetSubject("Bestellung Nr. 5 – Müller")
	e.SetExtension("note", `say "hi" at 100% + more`)
	m, err := ce.ToMsg("webhooks.snipcart.order.completed", e)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Header.Get("ce-subject"), "Bestellung%20Nr.%205%20%E2%80%93%20M%C3%BCller"; got != want {
		t.Errorf("ce-subject = %q, want %q", got, want)
	}
	if got, want := m.Header.Get("ce-note"), "say%20%22hi%22%20at%20100%25%20+%20more"; got != want {
		t.Errorf("ce-note = %q, want %q", got, want)
	}
	for k, vs := range m.Header {
		for _, v := range vs {
			if i := strings.IndexFunc(v, func(r rune) bool { return r <= 0x20 || r >= 0x7f || r == '"' }); i >= 0 {
				t.Errorf("%s = %q: unescaped byte at %d", k, v, i)
			}
		}
	}
	got, err := ce.FromMsg(m.Header, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	assertSameEvent(t, got, e)
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	cases := []struct{ plain, encoded string }{
		{"", ""},
		{"plain-ASCII_~!#$&'()*+,/:;<=>?@[]^`{|}", "plain-ASCII_~!#$&'()*+,/:;<=>?@[]^`{|}"},
		{"a b", "a%20b"},
		{`"quoted"`, "%22quoted%22"},
		{"100%", "100%25"},
		{"%41", "%2541"}, // a literal percent sequence stays literal
		{"Müller", "M%C3%BCller"},
		{"–", "%E2%80%93"},
		{"tab\there", "tab%09here"},
		{"line\r\nbreak", "line%0D%0Abreak"},
		{"\x00\x7f\xff", "%00%7F%FF"},
		{"a+b", "a+b"}, // '+' is not a space here
	}
	for _, c := range cases {
		if got := ce.Encode(c.plain); got != c.encoded {
			t.Errorf("Encode(%q) = %q, want %q", c.plain, got, c.encoded)
		}
		if got, err := ce.Decode(c.encoded); err != nil || got != c.plain {
			t.Errorf("Decode(%q) = %q, %v; want %q", c.encoded, got, err, c.plain)
		}
	}
	if got, err := ce.Decode("M%c3%bcller"); err != nil || got != "Müller" {
		t.Errorf("Decode of lower-case hex = %q, %v", got, err)
	}
	for _, bad := range []string{"%", "%4", "%zz", "100%", "a%g0"} {
		if got, err := ce.Decode(bad); err == nil {
			t.Errorf("Decode(%q) = %q, want an error", bad, got)
		}
	}
}

func TestFromMsgStructured(t *testing.T) {
	t.Parallel()
	h := nats.Header{}
	h.Set(ce.HeaderContentType, "application/cloudevents+json; charset=utf-8")
	data := []byte(`{"specversion":"1.0","id":"evt-1","source":"/snipcart/live","type":"com.snipcart.webhook.order.completed",` +
		`"subject":"1912e4c1-d008-4c15-ab12-fe21a76d30d4","time":"2017-10-04T19:18:53.570319Z",` +
		`"datacontenttype":"application/json","provider":"snipcart","data":{"eventName":"order.completed","mode":"Live"}}`)
	e, err := ce.FromMsg(h, data)
	if err != nil {
		t.Fatalf("FromMsg: %v", err)
	}
	want := event.New()
	want.SetID("evt-1")
	want.SetSource("/snipcart/live")
	want.SetType("com.snipcart.webhook.order.completed")
	want.SetSubject("1912e4c1-d008-4c15-ab12-fe21a76d30d4")
	want.SetTime(time.Date(2017, 10, 4, 19, 18, 53, 570319000, time.UTC))
	want.SetExtension("provider", "snipcart")
	_ = want.SetData("application/json", []byte(`{"eventName":"order.completed","mode":"Live"}`))
	assertSameEvent(t, e, &want)

	// Binary data in structured mode travels as data_base64.
	b64 := []byte(`{"specversion":"1.0","id":"evt-2","source":"/x","type":"t","datacontenttype":"application/octet-stream","data_base64":"AP+A"}`)
	e, err = ce.FromMsg(h, b64)
	if err != nil {
		t.Fatalf("FromMsg(data_base64): %v", err)
	}
	if !bytes.Equal(e.Data(), []byte{0x00, 0xff, 0x80}) {
		t.Errorf("data_base64 decoded to %q", e.Data())
	}

	if _, err := ce.FromMsg(h, []byte(`{"specversion":"1.0",`)); err == nil {
		t.Error("FromMsg accepted broken structured JSON")
	}
}

func TestFromMsgNotAnEvent(t *testing.T) {
	t.Parallel()
	cases := map[string]nats.Header{
		"no headers":            nil,
		"only Nats-Msg-Id":      {ce.HeaderMsgID: {"x"}},
		"ce-* without version":  {"ce-id": {"1"}, "ce-source": {"/x"}, "ce-type": {"t"}},
		"plain JSON message":    {ce.HeaderContentType: {"application/json"}},
		"empty specversion":     {"ce-specversion": {""}, "ce-id": {"1"}, "ce-source": {"/x"}, "ce-type": {"t"}},
		"specversion elsewhere": {"specversion": {"1.0"}, "id": {"1"}, "source": {"/x"}, "type": {"t"}},
	}
	for name, h := range cases {
		if e, err := ce.FromMsg(h, []byte(`{"a":1}`)); !errors.Is(err, ce.ErrNotEvent) {
			t.Errorf("%s: FromMsg = %v, %v; want ErrNotEvent", name, e, err)
		}
	}
}

func TestFromMsgInvalid(t *testing.T) {
	t.Parallel()
	valid := func() nats.Header {
		return nats.Header{"ce-specversion": {"1.0"}, "ce-id": {"1"}, "ce-source": {"/x"}, "ce-type": {"t"}}
	}
	cases := map[string]func(h nats.Header){
		"missing id":             func(h nats.Header) { delete(h, "ce-id") },
		"missing source":         func(h nats.Header) { delete(h, "ce-source") },
		"missing type":           func(h nats.Header) { delete(h, "ce-type") },
		"unknown specversion":    func(h nats.Header) { h["ce-specversion"] = []string{"2.0"} },
		"bad time":               func(h nats.Header) { h["ce-time"] = []string{"yesterday"} },
		"bad percent-encoding":   func(h nats.Header) { h["ce-subject"] = []string{"100%"} },
		"invalid extension name": func(h nats.Header) { h["ce-bad_name"] = []string{"v"} },
	}
	if _, err := ce.FromMsg(valid(), nil); err != nil {
		t.Fatalf("the valid base message is refused: %v", err)
	}
	for name, mutate := range cases {
		h := valid()
		mutate(h)
		if e, err := ce.FromMsg(h, nil); err == nil || errors.Is(err, ce.ErrNotEvent) {
			t.Errorf("%s: FromMsg = %v, %v; want an invalid-event error", name, e, err)
		}
	}
}

func TestToMsgRefusesInvalidEvents(t *testing.T) {
	t.Parallel()
	cases := map[string]func(e *event.Event){
		"missing id":     func(e *event.Event) { e.SetID("") },
		"missing source": func(e *event.Event) { e.SetSource("") },
		"missing type":   func(e *event.Event) { e.SetType("") },
		"bad extension":  func(e *event.Event) { e.SetExtension("Bad_Name", "x") },
	}
	for name, mutate := range cases {
		e := sample(t)
		mutate(e)
		if m, err := ce.ToMsg("webhooks.x", e); err == nil {
			t.Errorf("%s: ToMsg = %v, want an error", name, m.Header)
		}
	}
}

// TestJetStreamRoundTrip sends an event through a real JetStream server:
// published with js.PublishMsg, stored, fetched by a durable consumer and
// read back with FromMsg from jetstream.Msg's Headers() and Data(). A second
// publish of the same event is dropped as a duplicate by its Nats-Msg-Id.
func TestJetStreamRoundTrip(t *testing.T) {
	t.Parallel()
	s := natstest.Run(t)
	js := s.JetStream()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       "CE_TEST",
		Subjects:   []string{"webhooks.>"},
		Duplicates: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := sample(t)
	want.SetSubject("Bestellung Nr. 5 – Müller") // percent-encoded on the wire
	const subject = "webhooks.shopline.fulfillment_order.update"

	m, err := ce.ToMsg(subject, want)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		t.Fatalf("PublishMsg: %v", err)
	}
	if ack.Duplicate || ack.Sequence != 1 {
		t.Fatalf("first publish ack = %+v", ack)
	}
	again, err := ce.ToMsg(subject, want)
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := js.PublishMsg(ctx, again); err != nil || !ack.Duplicate {
		t.Fatalf("second publish of the same event: ack %+v, %v; want a duplicate", ack, err)
	}

	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1: the duplicate must not be stored", info.State.Msgs)
	}

	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "ce-test",
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []jetstream.Msg
	for msg := range batch.Messages() {
		got = append(got, msg)
	}
	if err := batch.Error(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("fetched %d messages, want 1", len(got))
	}
	msg := got[0]
	if msg.Subject() != subject {
		t.Errorf("subject %q", msg.Subject())
	}
	e, err := ce.FromMsg(msg.Headers(), msg.Data())
	if err != nil {
		t.Fatalf("FromMsg: %v", err)
	}
	assertSameEvent(t, e, want)
	if msg.Headers().Get("ce-id") == "" || msg.Headers().Get("Ce-Id") != "" {
		t.Errorf("header case not preserved through JetStream: %v", msg.Headers())
	}
	if err := msg.Ack(); err != nil {
		t.Fatal(err)
	}
}

// FuzzEncodeDecode: Encode yields a header-safe string (printable ASCII
// without '"' or space) that Decode turns back into the input, for any
// input, UTF-8 or not.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{
		"", "plain", "Bestellung Nr. 5 – Müller", `say "hi"`, "100%", "%41", "a+b",
		"\x00\x01\x7f\x80\xff", "line\r\nbreak", "日本語", "\xed\xa0\x80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := ce.Encode(s)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c < 0x21 || c > 0x7e || c == '"' {
				t.Fatalf("Encode(%q) = %q: byte %#x at %d", s, enc, c, i)
			}
		}
		dec, err := ce.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(%q)) error: %v", s, err)
		}
		if dec != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, dec)
		}
		if !strings.ContainsAny(s, "% \"") && strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) < 0 && enc != s {
			t.Fatalf("Encode(%q) = %q changed a string that needs no escaping", s, enc)
		}
		_, _ = ce.Decode(s) // never panics on arbitrary input
	})
}

// Edge cases of reading and writing: invalid structured events, header
// names in any case, ids with bytes nats.go would rewrite.
func TestHeaderEdgeCases(t *testing.T) {
	t.Parallel()
	t.Run("structured events are validated", func(t *testing.T) {
		h := nats.Header{ce.HeaderContentType: {"application/cloudevents+json"}}
		if e, err := ce.FromMsg(h, []byte(`{"specversion":"1.0","source":"/x","type":"t"}`)); err == nil {
			t.Errorf("FromMsg accepted a structured event without id: %v", e)
		}
	})
	t.Run("header names are case-insensitive", func(t *testing.T) {
		binary := nats.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"1"}, "Ce-Source": {"/x"}, "Ce-Type": {"t"}}
		if _, err := ce.FromMsg(binary, nil); err != nil {
			t.Errorf("canonical-case binary headers: %v", err)
		}
		structured := nats.Header{"content-type": {"application/cloudevents+json"}}
		if _, err := ce.FromMsg(structured, []byte(`{"specversion":"1.0","id":"1","source":"/x","type":"t"}`)); err != nil {
			t.Errorf("lower-case content-type: %v", err)
		}
	})
	t.Run("Nats-Msg-Id is the ce-id header byte for byte", func(t *testing.T) {
		e := sample(t)
		e.SetID("order 5\r\n")
		m, err := ce.ToMsg("webhooks.x", e)
		if err != nil {
			t.Fatal(err)
		}
		if m.Header.Get(ce.HeaderMsgID) != m.Header.Get("ce-id") {
			t.Errorf("Nats-Msg-Id %q, ce-id %q", m.Header.Get(ce.HeaderMsgID), m.Header.Get("ce-id"))
		}
	})
}
