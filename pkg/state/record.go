package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Record is the value kept under an entity's key in a state bucket, as
// `nats kv get <bucket> <key>` shows it.
type Record struct {
	// Version is the entity version of the newest event decided for the
	// entity, published or pending: 1 for its first event, one more for
	// each later one; 0 when none was ever decided.
	Version uint64 `json:"version"`
	// StreamSeq is the canonical stream's sequence of the newest event
	// known to be published for the entity; 0 when none is.
	StreamSeq uint64 `json:"stream_seq,omitempty"`
	// Fingerprint identifies the subscriber-visible content of the newest
	// event: a newer state with the same fingerprint publishes nothing.
	Fingerprint string `json:"fingerprint,omitempty"`
	// State is the newest state: for an entity, its canonical JSON (the
	// data of its events).
	State json.RawMessage `json:"state"`
	// Pending is the newest event when it was decided but is not yet known
	// to be published; whoever touches the key next publishes it first.
	Pending *Pending `json:"pending,omitempty"`
}

// Pending is an event decided and stored with its state, waiting to be
// published.
type Pending struct {
	// Subject is the entity's event subject.
	Subject string `json:"subject"`
	// Header holds the event's ce-* headers and its Nats-Msg-Id.
	Header nats.Header `json:"header"`
	// Data is the event data.
	Data json.RawMessage `json:"data"`
}

// Msg returns the message that publishes p.
func (p *Pending) Msg() *nats.Msg {
	h := make(nats.Header, len(p.Header))
	for k, vs := range p.Header {
		h[k] = append([]string(nil), vs...)
	}
	return &nats.Msg{Subject: p.Subject, Header: h, Data: p.Data}
}

// Decode unmarshals the record's state into v.
func (r Record) Decode(v any) error {
	if err := json.Unmarshal(r.State, v); err != nil {
		return fmt.Errorf("state: record is not readable: %w", err)
	}
	return nil
}

// Getter is the part of a KV bucket Get needs.
type Getter interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
}

// Get reads the record stored under key. It returns an error wrapping
// jetstream.ErrKeyNotFound when there is none.
func Get(ctx context.Context, kv Getter, key string) (Record, error) {
	rec, _, err := get(ctx, kv, key)
	return rec, err
}

// GetState reads the state stored under key into v. It returns an error
// wrapping jetstream.ErrKeyNotFound when there is none.
func GetState(ctx context.Context, kv Getter, key string, v any) error {
	rec, err := Get(ctx, kv, key)
	if err != nil {
		return err
	}
	return rec.Decode(v)
}

// get reads the record under key and its revision; a missing key is an
// error wrapping jetstream.ErrKeyNotFound (Store.read makes it a zero
// Record at revision 0).
func get(ctx context.Context, kv Getter, key string) (Record, uint64, error) {
	entry, err := kv.Get(ctx, key)
	if err != nil {
		return Record{}, 0, fmt.Errorf("state: read %s: %w", key, err)
	}
	rec, err := Decode(entry.Value())
	if err != nil {
		return Record{}, 0, fmt.Errorf("%s: %w", key, err)
	}
	return rec, entry.Revision(), nil
}

// isNotFound reports a key that does not exist (or was deleted).
func isNotFound(err error) bool { return errors.Is(err, jetstream.ErrKeyNotFound) }

// Decode reads a record from a bucket value.
func Decode(value []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(value, &rec); err != nil {
		return Record{}, fmt.Errorf("state: record is not readable: %w", err)
	}
	return rec, nil
}
