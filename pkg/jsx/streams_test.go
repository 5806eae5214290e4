package jsx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/jsx"
	"github.com/hookstream/hookstream/pkg/natstest"
)

// Ensure creates the stream, is a no-op when run again (every replica of
// every service runs it at start-up), and applies changed limits.
func TestEnsureIsIdempotentAndAppliesChanges(t *testing.T) {
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	cfg := jsx.WebhooksStream(jsx.StreamOptions{})
	for range 2 {
		if err := jsx.Ensure(ctx, js, cfg); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, catalog.StreamWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	got := s.CachedInfo().Config
	if got.Storage != jetstream.FileStorage || got.Discard != jetstream.DiscardNew ||
		got.Duplicates != jsx.DefaultDuplicateWindow || got.MaxAge != jsx.DefaultWebhooksMaxAge ||
		len(got.Subjects) != 1 || got.Subjects[0] != "webhooks.>" {
		t.Errorf("stream config %+v", got)
	}
	if err := jsx.Ensure(ctx, js, jsx.WebhooksStream(jsx.StreamOptions{DuplicateWindow: 10 * time.Minute})); err != nil {
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
	if err := jsx.Ensure(ctx, js, jsx.WebhooksStream(jsx.StreamOptions{MaxBytes: 4096})); err != nil {
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
