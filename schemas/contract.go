package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookstream/hookstream/pkg/catalog"
)

// entityToken is one token of a canonical subject's entity key.
var entityToken = regexp.MustCompile(`^[A-Za-z0-9_=-]+$`)

// canonicalHeadersURL is where the compiled header schema is registered;
// nothing is fetched from it.
const canonicalHeadersURL = BaseURL + "asyncapi/" + canonicalHeaders + ".json"

var headerSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	raw, err := json.Marshal(canonicalHeaderSchema())
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(canonicalHeadersURL, doc); err != nil {
		return nil, err
	}
	return c.Compile(canonicalHeadersURL)
})

// CheckCanonicalEvent checks one canonical event, as a subscriber reads it
// from its stream, against the contract (docs/events.md and the AsyncAPI
// document): the subject is a catalog subject followed by an entity key of
// one or more tokens of [A-Za-z0-9_=-]; the headers satisfy the document's
// CanonicalEventHeaders schema, and ce-type, ce-dataschema and ce-source
// are those of the subject's catalog row; ce-id and Nats-Msg-Id are
// ce-subject@ce-entityversion; ce-subject names the subject's provider; the
// data is valid against the row's JSON Schema, its id is ce-subject and
// its updated_at is ce-time.
//
// header is a nats.Header (or any map of header values). It returns the
// catalog row of the event, and an error listing every breach.
func CheckCanonicalEvent(subject string, header map[string][]string, data []byte) (catalog.EventType, error) {
	tokens := strings.Split(subject, ".")
	if len(tokens) < 4 {
		return catalog.EventType{}, fmt.Errorf("schemas: %q is not <catalog subject>.<entity key>", subject)
	}
	et, ok := catalog.BySubject(strings.Join(tokens[:3], "."))
	if !ok || !et.Canonical() {
		return catalog.EventType{}, fmt.Errorf("schemas: %q is not a canonical event's subject", subject)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, tok := range tokens[3:] {
		if !entityToken.MatchString(tok) {
			bad("entity key token %q is not [A-Za-z0-9_=-]+", tok)
		}
	}

	h := make(map[string]any, len(header))
	for k, v := range header {
		if len(v) != 1 {
			bad("header %s has %d values, want 1", k, len(v))
			continue
		}
		h[k] = v[0]
	}
	hs, err := headerSchema()
	if err != nil {
		return et, fmt.Errorf("schemas: header schema: %w", err)
	}
	if err := hs.Validate(h); err != nil {
		bad("headers: %v", err)
	}
	get := func(k string) string { s, _ := h[k].(string); return s }
	if got := get("ce-type"); got != et.Type {
		bad("ce-type %q, the catalog says %q for %s", got, et.Type, et.Subject)
	}
	if got, want := get("ce-dataschema"), BaseURL+et.Schema; got != want {
		bad("ce-dataschema %q, want %q", got, want)
	}
	account := get("ce-account")
	wantSource := publishers[et.Stream]
	if account != "" {
		wantSource += "/accounts/" + account
	}
	if got := get("ce-source"); got != wantSource {
		bad("ce-source %q, want %q for stream %s", got, wantSource, et.Stream)
	}
	id, entity, version := get("ce-id"), get("ce-subject"), get("ce-entityversion")
	if account != "" && !strings.HasPrefix(entity, et.Provider+":"+account+":") {
		bad("ce-subject %q is not account %s's", entity, account)
	}
	if id != entity+"@"+version {
		bad("ce-id %q is not ce-subject@ce-entityversion (%s@%s)", id, entity, version)
	}
	if msgID := get("Nats-Msg-Id"); msgID != id {
		bad("Nats-Msg-Id %q is not ce-id %q", msgID, id)
	}
	if p, _, _ := strings.Cut(entity, ":"); p != et.Provider {
		bad("ce-subject %q is not a %s entity", entity, et.Provider)
	}

	errs = append(errs, checkData(et, data, entity, get("ce-time"))...)
	if len(errs) > 0 {
		return et, fmt.Errorf("schemas: %s: %w", subject, errors.Join(errs...))
	}
	return et, nil
}

// checkData checks a canonical event's data against its schema and its
// headers.
func checkData(et catalog.EventType, data []byte, entity, ceTime string) []error {
	s, err := Compile(et.Schema)
	if err != nil {
		return []error{err}
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return []error{fmt.Errorf("data is not JSON: %w", err)}
	}
	var errs []error
	if err := s.Validate(doc); err != nil {
		errs = append(errs, fmt.Errorf("data: %w", err))
	}
	var rec struct {
		ID        string `json:"id"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return append(errs, fmt.Errorf("data: %w", err))
	}
	if rec.ID != entity {
		errs = append(errs, fmt.Errorf("data id %q is not ce-subject %q", rec.ID, entity))
	}
	updated, err1 := time.Parse(time.RFC3339Nano, rec.UpdatedAt)
	at, err2 := time.Parse(time.RFC3339Nano, ceTime)
	if err1 != nil || err2 != nil || !updated.Equal(at) {
		errs = append(errs, fmt.Errorf("ce-time %q is not the data's updated_at %q", ceTime, rec.UpdatedAt))
	}
	return errs
}
