package dlq_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/streams"
)

func TestDLQStreamDefinition(t *testing.T) {
	t.Parallel()
	got := dlq.Stream(streams.Options{})
	if got.Name != "DLQ" || strings.Join(got.Subjects, ",") != "dlq.>" || got.Storage != jetstream.FileStorage ||
		got.Retention != jetstream.LimitsPolicy || got.Discard != jetstream.DiscardNew ||
		got.MaxAge != 30*24*time.Hour || got.Duplicates != 20*time.Minute || got.Replicas != 1 {
		t.Errorf("DLQStream = %+v", got)
	}
	got = dlq.Stream(streams.Options{Replicas: 3, MaxAge: time.Hour, DuplicateWindow: time.Minute, MaxBytes: 1 << 20})
	if got.Replicas != 3 || got.MaxAge != time.Hour || got.Duplicates != time.Minute || got.MaxBytes != 1<<20 {
		t.Errorf("DLQStream with options = %+v", got)
	}
}
