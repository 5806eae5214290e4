package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// OwedBucket is the KV bucket of messages owed to the DLQ: a consumer that
// gave up on a message on its last delivery, and could not copy it to the
// DLQ (the DLQ stream full or gone), records it here before anything else,
// so that it is copied later — by the runner holding it, or at the next
// start of any replica — instead of being forgotten once the server stops
// redelivering it.
const OwedBucket = "dlq_owed"

// Owed is the record of a message owed to the DLQ, under
// OwedKey(consumer, stream, seq).
type Owed struct {
	Consumer  string    `json:"consumer"`
	Stream    string    `json:"stream"`
	StreamSeq uint64    `json:"stream_seq"`
	Subject   string    `json:"subject"`
	Attempts  uint64    `json:"attempts"`
	First     time.Time `json:"first"`
	Error     string    `json:"error"`
}

// OwedBucketConfig is the definition of OwedBucket.
func OwedBucketConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      OwedBucket,
		Description: "Messages a consumer gave up on but could not copy to the DLQ yet (key <consumer>.<stream>.<stream seq>)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}
}

// OwedKey is the key of a message owed to the DLQ.
func OwedKey(consumer, stream string, seq uint64) string {
	return consumer + "." + stream + "." + strconv.FormatUint(seq, 10)
}

// OwedKV is the part of a KV bucket the owed records need.
type OwedKV interface {
	Put(ctx context.Context, key string, value []byte) (uint64, error)
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
	ListKeysFiltered(ctx context.Context, filters ...string) (jetstream.KeyLister, error)
}

// Owe records that l is owed to the DLQ.
func Owe(ctx context.Context, kv OwedKV, l Letter) error {
	b, err := json.Marshal(Owed{Consumer: l.Consumer, Stream: l.Stream, StreamSeq: l.StreamSeq,
		Subject: l.Subject, Attempts: l.Attempts, First: l.First, Error: OneLine(l.Err, MaxErrorLen)})
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, OwedKey(l.Consumer, l.Stream, l.StreamSeq), b); err != nil {
		return fmt.Errorf("dlq: record %s seq %d as owed to the DLQ: %w", l.Stream, l.StreamSeq, err)
	}
	return nil
}

// Settle forgets a message owed to the DLQ once it is there.
func Settle(ctx context.Context, kv OwedKV, consumer, stream string, seq uint64) error {
	if err := kv.Delete(ctx, OwedKey(consumer, stream, seq)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("dlq: forget %s seq %d owed to the DLQ: %w", stream, seq, err)
	}
	return nil
}

// OwedBy lists the messages consumer owes to the DLQ.
func OwedBy(ctx context.Context, kv OwedKV, consumer string) ([]Owed, error) {
	lister, err := kv.ListKeysFiltered(ctx, consumer+".>")
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: list messages owed to the DLQ: %w", err)
	}
	defer func() { _ = lister.Stop() }()
	var owed []Owed
	for key := range lister.Keys() {
		if !strings.HasPrefix(key, consumer+".") {
			continue
		}
		entry, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // settled meanwhile
		}
		if err != nil {
			return owed, fmt.Errorf("dlq: read owed %s: %w", key, err)
		}
		var o Owed
		if err := json.Unmarshal(entry.Value(), &o); err != nil {
			return owed, fmt.Errorf("dlq: owed %s is not readable: %w", key, err)
		}
		owed = append(owed, o)
	}
	return owed, nil
}
