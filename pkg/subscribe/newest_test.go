package subscribe_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookstream/hookstream/pkg/subscribe"
)

func TestNewestOnlyDropsDuplicatesAndStaleVersions(t *testing.T) {
	var handled []string
	fail := true
	h := subscribe.NewestOnly(func(_ context.Context, e subscribe.Event) error {
		if e.EntityID == "a" && e.EntityVersion == 3 && fail {
			fail = false
			return errors.New("try again")
		}
		handled = append(handled, e.EntityID+"@"+itoa(e.EntityVersion))
		return nil
	})
	for _, d := range []struct {
		entity  string
		version uint64
		wantErr bool
	}{
		{"a", 1, false}, {"a", 2, false}, {"a", 2, false}, {"b", 1, false}, {"a", 1, false},
		{"a", 3, true}, {"a", 3, false}, {"a", 3, false}, {"b", 1, false}, {"a", 5, false}, {"a", 4, false},
	} {
		err := h(context.Background(), subscribe.Event{EntityID: d.entity, EntityVersion: d.version})
		if (err != nil) != d.wantErr {
			t.Errorf("%s@%d: err %v", d.entity, d.version, err)
		}
	}
	want := []string{"a@1", "a@2", "b@1", "a@3", "a@5"}
	if !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}

// Concurrent deliveries of one version reach the handler once.
func TestNewestOnlySerialisesAnEntity(t *testing.T) {
	var calls atomic.Int32
	h := subscribe.NewestOnly(func(context.Context, subscribe.Event) error {
		calls.Add(1)
		return nil
	})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() { _ = h(context.Background(), subscribe.Event{EntityID: "a", EntityVersion: 7}) })
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}
