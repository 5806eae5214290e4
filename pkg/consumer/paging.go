package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/state"
)

// pagingPrefix prefixes the keys, in a service's state bucket, of the
// paging progress of the webhooks it is working through:
// paging.<event id>.
const pagingPrefix = "paging."

// pagingProgress is the value under paging.<event id>.
type pagingProgress struct {
	// Done is the last page handled completely.
	Done int `json:"done"`
}

// PageFetch fetches the pages of one webhook's resource from page from,
// calling done after handling each page completely.
type PageFetch func(from int, done func(page int)) error

// ResumePages runs fetch for the webhook e, from the page after the last
// one an earlier delivery of e handled completely: a resource that needs
// more pages than one handler run can fetch (ShipStation's 40 requests a
// minute, the handler's deadline) is finished over several deliveries
// instead of starting at page 1 each time and never finishing. When fetch
// fails after handling pages, the last one is recorded in the state bucket
// under paging.<event id>, and dropped once a later delivery finishes.
// Handling a page again (a crash before the record) is harmless: the state
// path is idempotent.
func (f *Frame) ResumePages(ctx context.Context, e *event.Event, fetch PageFetch) error {
	key := pagingPrefix + e.ID()
	var progress pagingProgress
	err := state.GetState(ctx, f.Bucket(), key, &progress)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("paging progress of %s: %w", e.ID(), err)
	}
	from, done := progress.Done+1, progress.Done
	err = fetch(from, func(page int) { done = page })
	switch {
	case err != nil && done > progress.Done:
		// Remember how far this delivery got, for the next one (only now: a
		// resource read in one go costs no write at all), also when the
		// handler's deadline is what stopped it.
		save, cancel := context.WithTimeout(context.WithoutCancel(ctx), state.CallTimeout)
		defer cancel()
		if _, serr := f.State().Apply(save, nil, key, func(current json.RawMessage) (*state.Change, error) {
			var stored pagingProgress
			if current != nil && json.Unmarshal(current, &stored) == nil && stored.Done >= done {
				return nil, nil // another delivery got further
			}
			return &state.Change{State: pagingProgress{Done: done}}, nil
		}); serr != nil {
			f.log.Warn("paging progress not saved; the next delivery starts again at an earlier page", zap.String("event_id", e.ID()), zap.Error(serr))
		}
		return err
	case err != nil:
		return err
	case progress.Done == 0:
		return nil
	}
	f.log.Info("finished a resource over several deliveries", zap.String("event_id", e.ID()), zap.Int("resumed_at_page", from))
	if err := f.Bucket().Delete(ctx, key); err != nil {
		f.log.Warn("paging progress not dropped", zap.String("event_id", e.ID()), zap.Error(err))
	}
	return nil
}
