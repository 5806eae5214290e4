package ce

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
)

// Attributes are the context attributes of a CloudEvents 1.0 event, for
// NewMsg. As with the SDK, spaces around ID, Type, Subject and
// DataContentType are dropped, and optional attributes are absent when
// empty (Time: zero).
type Attributes struct {
	ID              string
	Source          string // a URI-reference
	Type            string
	Subject         string
	Time            time.Time
	DataContentType string
	// Extensions are written in order; a later one replaces an earlier one
	// of the same name.
	Extensions []Extension
}

// Extension is one extension attribute with a string value. Its name is
// ASCII letters and digits, and is written lower-case.
type Extension struct{ Name, Value string }

// NewMsg returns the message ToMsg returns for the event with attributes a
// and data, after the same checks, without building an event.Event: it is
// the gateway's request path, where the SDK's event costs more than the
// rest of the request's own work. The tests hold NewMsg and ToMsg to the
// same output, the SDK being the reference.
func NewMsg(subject string, a Attributes, data []byte) (*nats.Msg, error) {
	a.ID, a.Type = strings.TrimSpace(a.ID), strings.TrimSpace(a.Type)
	a.Subject, a.DataContentType = strings.TrimSpace(a.Subject), strings.TrimSpace(a.DataContentType)
	source, err := checkAttributes(a)
	if err != nil {
		return nil, fmt.Errorf("ce: invalid event: %w", err)
	}
	h := make(nats.Header, 9+len(a.Extensions))
	// One backing array for the header values: a header is one value.
	values := make([]string, 0, 8+len(a.Extensions))
	set := func(key, value string) {
		values = append(values, Encode(value))
		h[key] = values[len(values)-1 : len(values) : len(values)]
	}
	set(HeaderPrefix+"specversion", event.CloudEventsVersionV1)
	set(HeaderPrefix+"id", a.ID)
	set(HeaderPrefix+"source", source)
	set(HeaderPrefix+"type", a.Type)
	if a.DataContentType != "" {
		set(HeaderPrefix+"datacontenttype", a.DataContentType)
	}
	if a.Subject != "" {
		set(HeaderPrefix+"subject", a.Subject)
	}
	if !a.Time.IsZero() {
		set(HeaderPrefix+"time", a.Time.UTC().Format(time.RFC3339Nano))
	}
	for _, x := range a.Extensions {
		key, ok := extensionKeys[x.Name]
		if !ok {
			key = HeaderPrefix + strings.ToLower(x.Name)
		}
		set(key, x.Value)
	}
	h[HeaderMsgID] = h[HeaderPrefix+"id"]
	return &nats.Msg{Subject: subject, Header: h, Data: data}, nil
}

// checkAttributes applies the SDK's rules for a CloudEvents 1.0 event,
// whose strings are trimmed, and returns the source as the SDK writes it
// (parsed and formatted again).
func checkAttributes(a Attributes) (string, error) {
	switch {
	case a.ID == "":
		return "", errors.New("id: MUST be a non-empty string")
	case a.Type == "":
		return "", errors.New("type: MUST be a non-empty string")
	}
	if a.DataContentType != "" && a.DataContentType != event.ApplicationJSON {
		if _, _, err := mime.ParseMediaType(a.DataContentType); err != nil {
			return "", fmt.Errorf("datacontenttype: %w", err)
		}
	}
	for _, x := range a.Extensions {
		if err := checkExtensionName(x.Name); err != nil {
			return "", err
		}
	}
	source := a.Source
	if !plainPath(source) {
		u, err := url.Parse(source)
		if err != nil {
			return "", fmt.Errorf("source: %w", err)
		}
		source = u.String()
	}
	if strings.TrimSpace(source) == "" {
		return "", errors.New("source: REQUIRED")
	}
	return source, nil
}

// plainPath reports whether s is an absolute path of characters that
// url.URL formats unchanged, so that parsing it can be skipped: every
// source the gateway writes is one.
func plainPath(s string) bool {
	if s == "" || s[0] != '/' || strings.HasPrefix(s, "//") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// extensionKeys are the header names of the extensions hookstream writes,
// made once.
var extensionKeys = func() map[string]string {
	m := map[string]string{}
	for _, name := range []string{"provider", "account", "mode", "shopid", "merchantid", "shopdomain", "apiversion", "traceparent", "tracestate"} {
		m[name] = HeaderPrefix + name
	}
	return m
}()

// specAttributes are the names an extension may not take.
var specAttributes = map[string]bool{
	"id": true, "source": true, "type": true, "datacontenttype": true,
	"subject": true, "time": true, "specversion": true, "dataschema": true,
}

func checkExtensionName(name string) error {
	if name == "" {
		return errors.New("extension: a name MUST NOT be empty")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return fmt.Errorf("extension %q: names are ASCII letters and digits", name)
		}
	}
	if specAttributes[strings.ToLower(name)] {
		return fmt.Errorf("extension %q: a spec attribute MUST NOT be overwritten by an extension", name)
	}
	return nil
}
