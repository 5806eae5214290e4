package streams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/streams"
)

// Ensure creates the stream, is a no-op when run again (every replica of
// every service runs it at start-up), and applies changed limits.
func TestEnsureIsIdempotentAndAppliesChanges(t *testing.T) {
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	cfg := streams.Webhooks(streams.Options{})
	for range 2 {
		if err := streams.Ensure(ctx, js, cfg); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, catalog.StreamWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	got := s.CachedInfo().Config
	if got.Storage != jetstream.FileStorage || got.Discard != jetstream.DiscardNew ||
		got.Duplicates != streams.DefaultDuplicateWindow || got.MaxAge != streams.DefaultWebhooksMaxAge ||
		len(got.Subjects) != 1 || got.Subjects[0] != "webhooks.>" {
		t.Errorf("stream config %+v", got)
	}
	if err := streams.Ensure(ctx, js, streams.Webhooks(streams.Options{DuplicateWindow: 10 * time.Minute})); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Duplicates != 10*time.Minute {
		t.Errorf("duplicate window %s after update, want 10m", info.Config.Duplicates)
	}
}

// A full WEBHOOKS stream refuses new messages instead of deleting old
// ones: nothing already acknowledged to a provider is lost.
func TestFullStreamRefusesNewMessagesAndKeepsOld(t *testing.T) {
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	if err := streams.Ensure(ctx, js, streams.Webhooks(streams.Options{MaxBytes: 4096})); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 512)
	var stored int
	var refusal error
	for i := range 64 {
		if _, err := js.Publish(ctx, "webhooks.test.full", payload, jetstream.WithMsgID(fmt.Sprintf("full-%d", i))); err != nil {
			refusal = err
			break
		}
		stored++
	}
	if refusal == nil {
		t.Fatal("a 4 KiB stream accepted 32 KiB")
	}
	var apiErr *jetstream.APIError
	if !errors.As(refusal, &apiErr) {
		t.Errorf("refusal %v is not a JetStream API error", refusal)
	}
	s, _ := js.Stream(ctx, catalog.StreamWebhooks)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(stored) || info.State.FirstSeq != 1 {
		t.Errorf("stream holds %d messages from seq %d; want the %d first ones kept", info.State.Msgs, info.State.FirstSeq, stored)
	}
}
