package provider

import (
	"bytes"
	"encoding/json"
	"errors"
)

// errNotObject is returned by DecodeObject for JSON that is not an object.
var errNotObject = errors.New("not a JSON object")

// DecodeObject unmarshals data into v after checking that data is a JSON
// object: an array, a string, a number or null is refused even when v could
// hold it (json.Unmarshal silently accepts null into a struct). v is
// normally a struct of json.RawMessage fields, so that a member of an
// unexpected type never fails the whole envelope.
//
// The error is safe to show to the caller; verifiers wrap it in
// ErrMalformed.
func DecodeObject(data []byte, v any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errNotObject
	}
	return json.Unmarshal(data, v)
}

// JSONString returns the value of raw when raw is a JSON string, and false
// for anything else (absent, null, number, object...).
func JSONString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// JSONID returns raw as an identifier: the value of a JSON string, or the
// literal of a JSON number (so 4005740193290131085320 keeps every digit),
// and "" for anything else. Providers send the same id as a string in one
// payload and as a number in another.
func JSONID(raw json.RawMessage) string {
	if s, ok := JSONString(raw); ok {
		return s
	}
	var n json.Number
	if len(raw) > 0 && raw[0] != '"' && json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
