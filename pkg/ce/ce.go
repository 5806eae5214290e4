// Package ce maps CloudEvents to NATS messages and back, in the binary
// content mode of the CloudEvents NATS protocol binding: every context
// attribute and extension is a lower-case "ce-<name>" header, values are
// percent-encoded by the HTTP binding's rule, and the message payload is the
// event data byte for byte. Reading also accepts the structured mode
// (Content-Type: application/cloudevents+json).
//
// All of hookstream reads and writes events through this package, so the
// header layout is decided in one place.
package ce

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"github.com/nats-io/nats.go"
)

const (
	// HeaderPrefix prefixes every CloudEvents attribute header.
	HeaderPrefix = "ce-"
	// HeaderContentType is the NATS header that marks a structured message.
	HeaderContentType = "Content-Type"
	// ContentTypeStructured is the content type of a structured JSON event.
	ContentTypeStructured = event.ApplicationCloudEventsJSON
	// HeaderMsgID is JetStream's de-duplication header.
	HeaderMsgID = nats.MsgIdHdr
)

// ErrNotEvent is returned when a message carries no CloudEvent.
var ErrNotEvent = errors.New("ce: message is not a CloudEvent")

var versions = spec.WithPrefix(HeaderPrefix)

// ToMsg returns e as a binary-mode NATS message on subject, with Nats-Msg-Id
// set to the event id so JetStream de-duplicates redeliveries of one event.
// The event is validated first.
func ToMsg(subject string, e *event.Event) (*nats.Msg, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("ce: invalid event: %w", err)
	}
	m := &nats.Msg{Subject: subject, Header: make(nats.Header, 12), Data: e.Data()}
	if err := WriteHeader(m.Header, e); err != nil {
		return nil, err
	}
	m.Header[HeaderMsgID] = m.Header[HeaderPrefix+"id"] // encoded, so byte for byte the same
	return m, nil
}

// WriteHeader writes e's attributes and extensions into h as ce-* headers.
func WriteHeader(h nats.Header, e *event.Event) error {
	if ec, ok := e.Context.(*event.EventContextV1); ok {
		return writeV1(h, ec)
	}
	v := versions.Version(e.SpecVersion())
	if v == nil {
		return fmt.Errorf("ce: unsupported specversion %q", e.SpecVersion())
	}
	for _, attr := range v.Attributes() {
		value := attr.Get(e.Context)
		if value == nil {
			continue
		}
		s, err := types.Format(value)
		if err != nil {
			return fmt.Errorf("ce: attribute %s: %w", attr.Name(), err)
		}
		h[attr.PrefixedName()] = []string{Encode(s)}
	}
	for name, value := range e.Extensions() {
		s, err := types.Format(value)
		if err != nil {
			return fmt.Errorf("ce: extension %s: %w", name, err)
		}
		h[HeaderPrefix+strings.ToLower(name)] = []string{Encode(s)}
	}
	return nil
}

// writeV1 is WriteHeader for CloudEvents 1.0, the version hookstream
// writes: it sets the attributes directly instead of walking the generic
// attribute table, which matters on the gateway's request path.
func writeV1(h nats.Header, ec *event.EventContextV1) error {
	set := func(name, value string) { h[HeaderPrefix+name] = []string{Encode(value)} }
	set("specversion", event.CloudEventsVersionV1)
	set("id", ec.ID)
	set("source", ec.Source.String())
	set("type", ec.Type)
	if ec.DataContentType != nil {
		set("datacontenttype", *ec.DataContentType)
	}
	if ec.DataSchema != nil {
		set("dataschema", ec.DataSchema.String())
	}
	if ec.Subject != nil {
		set("subject", *ec.Subject)
	}
	if ec.Time != nil {
		set("time", ec.Time.Time.UTC().Format(time.RFC3339Nano))
	}
	for name, value := range ec.Extensions {
		s, err := types.Format(value)
		if err != nil {
			return fmt.Errorf("ce: extension %s: %w", name, err)
		}
		h[HeaderPrefix+strings.ToLower(name)] = []string{Encode(s)}
	}
	return nil
}

// FromMsg reads the CloudEvent in a NATS message (a *nats.Msg's Header and
// Data, or a jetstream.Msg's Headers() and Data()). Binary and structured
// messages are both accepted; ErrNotEvent is returned for anything else.
func FromMsg(h nats.Header, data []byte) (*event.Event, error) {
	if mt, _, err := mime.ParseMediaType(header(h, HeaderContentType)); err == nil && mt == event.ApplicationCloudEventsJSON {
		e := event.New()
		if err := format.JSON.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("ce: structured event: %w", err)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("ce: invalid event: %w", err)
		}
		return &e, nil
	}
	sv := header(h, versions.PrefixedSpecVersionName())
	if sv == "" {
		return nil, ErrNotEvent
	}
	v := versions.Version(sv)
	if v == nil {
		return nil, fmt.Errorf("ce: unsupported specversion %q", sv)
	}
	e := event.New(sv)
	for key, values := range h {
		if len(values) == 0 || len(key) <= len(HeaderPrefix) || !strings.EqualFold(key[:len(HeaderPrefix)], HeaderPrefix) {
			continue
		}
		value, err := Decode(values[0])
		if err != nil {
			return nil, fmt.Errorf("ce: header %s: %w", key, err)
		}
		if attr := v.Attribute(key); attr != nil {
			if attr.Kind() == spec.SpecVersion {
				continue
			}
			if err := attr.Set(e.Context, value); err != nil {
				return nil, fmt.Errorf("ce: header %s: %w", key, err)
			}
			continue
		}
		e.SetExtension(strings.ToLower(key[len(HeaderPrefix):]), value)
	}
	e.DataEncoded = data
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("ce: invalid event: %w", err)
	}
	return &e, nil
}

// header returns the first value of key in h, whatever the case of its
// name: nats.Header's Get is case-sensitive, and writers differ.
func header(h nats.Header, key string) string {
	if v := h.Get(key); v != "" {
		return v
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, key) {
			return vs[0]
		}
	}
	return ""
}

// Encode percent-encodes a header value by the HTTP binding's rule: space,
// '"', '%' and every byte outside printable ASCII become %XX.
func Encode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func mustEscape(c byte) bool {
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '%'
}

// Decode reverses Encode.
func Decode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	return url.PathUnescape(s)
}
