package shipstation

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// envelope is the part of a ShipStation webhook body that both API versions
// share.
type envelope struct {
	ResourceURL  string
	ResourceType string
}

// envelopeRules says how strictly a body is read.
type envelopeRules struct {
	// exact refuses any top-level field other than resource_url and
	// resource_type (V1 sends exactly those two).
	exact bool
	// maxURLLen bounds resource_url in bytes.
	maxURLLen int
}

// decodeEnvelope reads body as one JSON object and returns its resource_url
// and resource_type. It walks the object token by token rather than
// unmarshalling into a struct so that it matches field names exactly (not
// case-insensitively), refuses duplicate fields (a consumer with another JSON
// parser might read the other copy) and refuses trailing data. Every error
// wraps provider.ErrMalformed.
func decodeEnvelope(body []byte, rules envelopeRules) (envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return envelope{}, provider.Errorf(provider.ErrMalformed, "body is not a JSON object")
	}
	var (
		env  envelope
		seen = make(map[string]bool, 2)
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return envelope{}, provider.Errorf(provider.ErrMalformed, "body is not valid JSON")
		}
		name, ok := tok.(string)
		if !ok {
			return envelope{}, provider.Errorf(provider.ErrMalformed, "body is not valid JSON")
		}
		if seen[name] {
			return envelope{}, provider.Errorf(provider.ErrMalformed, "duplicate field %q", truncate(name))
		}
		seen[name] = true
		switch name {
		case "resource_url":
			env.ResourceURL, err = stringValue(dec, name)
		case "resource_type":
			env.ResourceType, err = stringValue(dec, name)
		default:
			if rules.exact {
				return envelope{}, provider.Errorf(provider.ErrMalformed, "unexpected field %q", truncate(name))
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				err = provider.Errorf(provider.ErrMalformed, "body is not valid JSON")
			}
		}
		if err != nil {
			return envelope{}, err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return envelope{}, provider.Errorf(provider.ErrMalformed, "body is not valid JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return envelope{}, provider.Errorf(provider.ErrMalformed, "data after the JSON object")
	}
	switch {
	case env.ResourceURL == "":
		return envelope{}, provider.Errorf(provider.ErrMalformed, "resource_url is missing or empty")
	case len(env.ResourceURL) > rules.maxURLLen:
		return envelope{}, provider.Errorf(provider.ErrMalformed, "resource_url is longer than %d bytes", rules.maxURLLen)
	case env.ResourceType == "":
		return envelope{}, provider.Errorf(provider.ErrMalformed, "resource_type is missing or empty")
	}
	return env, nil
}

// stringValue reads the value of field name, which must be a JSON string.
func stringValue(dec *json.Decoder, name string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", provider.Errorf(provider.ErrMalformed, "body is not valid JSON")
	}
	s, ok := tok.(string)
	if !ok {
		return "", provider.Errorf(provider.ErrMalformed, "%s is not a string", name)
	}
	return s, nil
}

// truncate keeps caller-supplied text in error reasons short.
func truncate(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// webhook fills the fields every ShipStation webhook shares.
func (env envelope) webhook(id, source string, body []byte) provider.Webhook {
	return provider.Webhook{
		Provider: catalog.ShipStation,
		Event:    env.ResourceType,
		ID:       id,
		Source:   source,
		Body:     body,
	}
}
