package shipstation

import (
	"bytes"
	"unicode/utf8"
)

// decodeV1Fast reads the envelope ShipStation V1 actually sends,
// {"resource_url":"…","resource_type":"…"} in either order, without
// encoding/json's per-token allocations: the gateway's request path spends
// more on the token-by-token parse than on anything else it does itself.
// It accepts only that exact shape with plain strings (no escapes, no
// control characters, valid UTF-8), for which the strict parser would
// return the same envelope; for anything else ok is false and the caller
// uses decodeEnvelope, which decides and explains. FuzzV1FastAgrees holds
// the two to the same answers.
func decodeV1Fast(body []byte) (env envelope, ok bool) {
	p := fastParser{b: body}
	if !p.byte('{') {
		return envelope{}, false
	}
	for i := 0; i < 2; i++ {
		if i == 1 && !p.byte(',') {
			return envelope{}, false
		}
		key, ok := p.str()
		if !ok || !p.byte(':') {
			return envelope{}, false
		}
		value, ok := p.str()
		if !ok {
			return envelope{}, false
		}
		switch {
		case bytes.Equal(key, []byte("resource_url")) && env.ResourceURL == "":
			env.ResourceURL = string(value)
		case bytes.Equal(key, []byte("resource_type")) && env.ResourceType == "":
			env.ResourceType = string(value)
		default:
			return envelope{}, false // unknown or repeated field: let the strict parser say so
		}
	}
	if !p.byte('}') || !p.end() {
		return envelope{}, false
	}
	if env.ResourceURL == "" || env.ResourceType == "" || len(env.ResourceURL) > MaxResourceURLLen {
		return envelope{}, false
	}
	return env, true
}

// fastParser walks JSON bytes that must match an expected shape exactly.
type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// byte consumes c after optional white space.
func (p *fastParser) byte(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str consumes a string without escapes or control characters and returns
// its contents, which must be valid UTF-8.
func (p *fastParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// end reports whether only white space is left.
func (p *fastParser) end() bool {
	p.space()
	return p.i == len(p.b)
}
