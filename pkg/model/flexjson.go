package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Lenient JSON readers for provider payloads that type a member
// differently from one document to the next (an id as a string or a number).

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// flexID decodes an id sent as a JSON string or number (every digit kept);
// null or absent is "".
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch s := strings.TrimSpace(string(b)); {
	case s == "null":
		*f = ""
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexID(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id %s is neither a string nor a number", s)
		}
		*f = flexID(n.String())
	}
	return nil
}

// flexInt decodes a non-negative whole number sent as a JSON number or a
// decimal string ("2"); null or absent is 0.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*f = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return fmt.Errorf("quantity %s is not a non-negative whole number", string(b))
	}
	*f = flexInt(n)
	return nil
}

// flexStrings decodes a list of strings sent as an array or as one string
// (seed 004's supported_actions example is "release_hold").
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*f = nil
		return nil
	case strings.HasPrefix(s, `"`):
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*f = flexStrings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*f = flexStrings(many)
	if *f == nil {
		*f = flexStrings{}
	}
	return nil
}
