package fulfillmentholds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// JetStream message-scheduler headers (nats-server 2.12+).
const (
	headerSchedule       = "Nats-Schedule"
	headerScheduleTarget = "Nats-Schedule-Target"
	headerScheduler      = "Nats-Scheduler"
)

// reconcileRounds bounds how often reconcileTimer looks again when the
// record changed while it armed or cancelled the timer.
const reconcileRounds = 3

// dueAt is when the hold of h becomes overdue: PlacedAt plus
// HOLD_OVERDUE_AFTER, rounded up to the second (the scheduler's @at takes
// whole seconds).
func (s *Service) dueAt(h model.FulfillmentHold) time.Time {
	due := h.PlacedAt.Add(s.cfg.OverdueAfter).UTC()
	if t := due.Truncate(time.Second); !t.Equal(due) {
		due = t.Add(time.Second)
	}
	return due
}

// reconcileTimer makes the timer of the record stored under key match it:
// a held record not yet alerted has a schedule for its due time; any other
// record has none. Schedules are published without a Nats-Msg-Id, so
// arming again is never swallowed as a duplicate; publishing on the same
// subject replaces the schedule.
//
// Another replica may change the record meanwhile and reconcile too; the
// record is read again after acting, and when it changed, the timer is
// reconciled once more, so a cancellation based on a stale read cannot
// remove the timer of a newer hold.
func (s *Service) reconcileTimer(ctx context.Context, key string) error {
	kv := s.frame.Bucket()
	for range reconcileRounds {
		entry, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		rec, err := state.Decode(entry.Value())
		if err != nil {
			return runner.Permanent(err)
		}
		h, err := decodeHold(rec.State)
		if err != nil {
			return err
		}
		switch {
		case h.Open() && h.OverdueAt.IsZero():
			err = s.arm(ctx, h)
		case h.HoldSeq > 0: // never held: never armed
			err = s.disarm(ctx, key)
		}
		if err != nil {
			return err
		}
		again, err := kv.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read %s: %w", key, err)
		}
		if again.Revision() == entry.Revision() {
			return nil
		}
	}
	return nil
}

// arm publishes the overdue timer of h: a CloudEvent of type hold_overdue
// whose data is the record as armed, scheduled on
// holdtimers.schedule.<key> to fire on holdtimers.fired.<key> at its due
// time (at once when that has passed).
func (s *Service) arm(ctx context.Context, h model.FulfillmentHold) error {
	et, err := catalog.Canonical("fulfillment", h.Provider, catalog.HoldOverdue)
	if err != nil {
		return runner.Permanent(err)
	}
	data, err := json.Marshal(h)
	if err != nil {
		return runner.Permanent(err)
	}
	due := s.dueAt(h)
	schedule, fired := HoldTimerSubjects(h.Key())
	msg, err := state.Outgoing(nil, et, schedule, h.ID+"/timer@"+strconv.Itoa(h.HoldSeq), Source, h.ID, due, data)
	if err != nil {
		return runner.Permanent(err)
	}
	msg.Header.Del(nats.MsgIdHdr)
	msg.Header.Set(headerSchedule, "@at "+due.Format(time.RFC3339))
	msg.Header.Set(headerScheduleTarget, fired)
	if _, err := s.frame.JetStream().PublishMsg(ctx, msg, jetstream.WithExpectStream(StreamHoldTimers)); err != nil {
		return fmt.Errorf("arm overdue timer of %s: %w", h.ID, err)
	}
	return nil
}

// disarm cancels the overdue timer stored under key, if any, by purging
// its schedule subject.
func (s *Service) disarm(ctx context.Context, key string) error {
	schedule, _ := HoldTimerSubjects(key)
	timers, err := s.frame.JetStream().Stream(ctx, StreamHoldTimers)
	if err != nil {
		return fmt.Errorf("cancel overdue timer %s: %w", schedule, err)
	}
	if err := timers.Purge(ctx, jetstream.WithPurgeSubject(schedule)); err != nil {
		return fmt.Errorf("cancel overdue timer %s: %w", schedule, err)
	}
	return nil
}

// HandleTimer processes a fired overdue timer: the runner.Handler of the
// HOLD_TIMERS consumer. It publishes hold_overdue, once, when the stored
// record is still held by the hold the timer was armed for and has not
// been alerted yet; otherwise (released, a later hold, already alerted)
// it does nothing. A timer that fires before the current
// HOLD_OVERDUE_AFTER has run (it was armed under a shorter one) is armed
// again for the right time.
func (s *Service) HandleTimer(ctx context.Context, m *runner.Message) error {
	var armed model.FulfillmentHold
	if err := json.Unmarshal(m.Event.Data(), &armed); err != nil {
		return runner.Permanent(fmt.Errorf("overdue timer data is not a fulfillment hold: %w", err))
	}
	key := strings.TrimPrefix(m.Subject, HoldTimerFiredPrefix)
	if armed.Key() != key {
		return runner.Permanent(fmt.Errorf("overdue timer on %s carries hold %q", m.Subject, armed.ID))
	}
	log := s.frame.Log().With(zap.String("hold", armed.ID), zap.Int("hold_seq", armed.HoldSeq),
		zap.String("scheduler", m.Msg.Headers().Get(headerScheduler)))
	var (
		outcome = "stale"
		early   *model.FulfillmentHold
	)
	_, err := s.frame.State().Apply(ctx, m.Event, key, func(current json.RawMessage) (*state.Change, error) {
		outcome, early = "stale", nil
		if current == nil {
			return nil, nil
		}
		h, err := decodeHold(current)
		if err != nil {
			return nil, err
		}
		switch {
		case !h.Open() || h.HoldSeq != armed.HoldSeq || !h.PlacedAt.Equal(armed.PlacedAt):
			return nil, nil // released, closed, or another hold since
		case !h.OverdueAt.IsZero():
			outcome = "already alerted"
			return nil, nil
		case time.Now().Before(s.dueAt(h).Add(-time.Second)):
			outcome, early = "early", &h
			return nil, nil
		}
		h.OverdueAt = s.dueAt(h)
		outcome = "published"
		return &state.Change{State: h, Event: holdEvent(string(model.HoldEventOverdue), h)}, nil
	})
	if err != nil {
		return err
	}
	switch outcome {
	case "published":
		log.Info("hold overdue")
	case "early":
		log.Info("overdue timer fired before HOLD_OVERDUE_AFTER; armed again", zap.Time("due", s.dueAt(*early)))
		return s.arm(ctx, *early)
	default:
		log.Debug("overdue timer ignored", zap.String("reason", outcome))
	}
	return nil
}
