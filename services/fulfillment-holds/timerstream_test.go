package fulfillmentholds_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/streams"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
)

// The HOLD_TIMERS definition is accepted as it is, applying it again is a
// no-op, and the server keeps what the scheduler needs.
func TestHoldTimersStreamDefinition(t *testing.T) {
	js := natstest.Run(t).JetStream()
	ctx := context.Background()
	for range 2 {
		if err := streams.Ensure(ctx, js, fulfillmentholds.HoldTimersStream(streams.Options{})); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, fulfillmentholds.StreamHoldTimers)
	if err != nil {
		t.Fatal(err)
	}
	got := s.CachedInfo().Config
	if !got.AllowMsgSchedules || !got.AllowRollup || got.DenyPurge || got.Discard != jetstream.DiscardOld ||
		got.Storage != jetstream.FileStorage || got.MaxMsgsPerSubject != 1 || len(got.Subjects) != 1 || got.Subjects[0] != "holdtimers.>" {
		t.Errorf("HOLD_TIMERS config %+v", got)
	}
	schedule, fired := fulfillmentholds.HoldTimerSubjects("shopline.1610418123456.4005740193290131085320")
	if schedule != "holdtimers.schedule.shopline.1610418123456.4005740193290131085320" ||
		fired != "holdtimers.fired.shopline.1610418123456.4005740193290131085320" {
		t.Errorf("fulfillmentholds.HoldTimerSubjects = %s, %s", schedule, fired)
	}
}

// TestMessageSchedulerFacts checks, on the embedded server, every property
// of JetStream's message scheduler that fulfillment-holds relies on.
// Nothing here sleeps: a timer that must not fire is checked once a
// control timer due after it has fired.
func TestHoldTimersSchedulerFacts(t *testing.T) {
	js := natstest.Run(t).JetStream()
	ctx := context.Background()

	t.Run("schedules refuse Discard new (10052)", func(t *testing.T) {
		cfg := fulfillmentholds.HoldTimersStream(streams.Options{})
		cfg.Name, cfg.Subjects, cfg.Discard = "DISCARD_NEW_TIMERS", []string{"discardnew.>"}, jetstream.DiscardNew
		_, err := js.CreateStream(ctx, cfg)
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != 10052 {
			t.Fatalf("create with Discard new and schedules: %v, want error 10052", err)
		}
	})

	if err := streams.Ensure(ctx, js, fulfillmentholds.HoldTimersStream(streams.Options{})); err != nil {
		t.Fatal(err)
	}
	timers, err := js.Stream(ctx, fulfillmentholds.StreamHoldTimers)
	if err != nil {
		t.Fatal(err)
	}
	schedule := func(key string, at time.Time, target string, msgID ...string) error {
		subj, fired := fulfillmentholds.HoldTimerSubjects(key)
		if target == "" {
			target = fired
		}
		m := nats.NewMsg(subj)
		m.Header.Set("Nats-Schedule", "@at "+at.UTC().Format(time.RFC3339))
		m.Header.Set("Nats-Schedule-Target", target)
		m.Header.Set("ce-id", "timer-"+key)
		for _, id := range msgID {
			m.Header.Set(nats.MsgIdHdr, id)
		}
		m.Data = []byte(key)
		_, err := js.PublishMsg(ctx, m)
		return err
	}
	firedMsg := func(key string) *jetstream.RawStreamMsg {
		_, fired := fulfillmentholds.HoldTimerSubjects(key)
		m, err := timers.GetLastMsgForSubject(ctx, fired)
		if err != nil {
			return nil
		}
		return m
	}
	pending := func(key string) bool {
		subj, _ := fulfillmentholds.HoldTimerSubjects(key)
		_, err := timers.GetLastMsgForSubject(ctx, subj)
		return err == nil
	}
	waitFired := func(key string) *jetstream.RawStreamMsg {
		t.Helper()
		var m *jetstream.RawStreamMsg
		natstest.Eventually(t, "timer "+key+" to fire", func() bool {
			m = firedMsg(key)
			return m != nil
		})
		return m
	}

	t.Run("target outside the stream is refused (10190)", func(t *testing.T) {
		err := schedule("a", time.Now().Add(time.Hour), "fulfillment.shopline.hold_overdue")
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != 10190 {
			t.Fatalf("schedule targeting another stream's subject: %v, want error 10190", err)
		}
	})

	t.Run("@at fires once with the schedule's headers and Nats-Scheduler", func(t *testing.T) {
		if err := schedule("once", time.Now().Add(time.Second), "", "schedule-once"); err != nil {
			t.Fatal(err)
		}
		m := waitFired("once")
		subj, _ := fulfillmentholds.HoldTimerSubjects("once")
		if got := m.Header.Get("Nats-Scheduler"); got != subj {
			t.Errorf("Nats-Scheduler = %q, want %q", got, subj)
		}
		if m.Header.Get("ce-id") != "timer-once" || string(m.Data) != "once" {
			t.Errorf("fired message lost the schedule's content: %v %q", m.Header, m.Data)
		}
		if m.Header.Get(nats.MsgIdHdr) != "" || m.Header.Get("Nats-Schedule") != "" {
			t.Errorf("fired message carries schedule or dedup headers: %v", m.Header)
		}
		if pending("once") {
			t.Error("the @at schedule is still stored after it fired")
		}
		info, err := timers.Info(ctx, jetstream.WithSubjectFilter(fulfillmentholds.HoldTimerFiredPrefix+"once"))
		if err != nil {
			t.Fatal(err)
		}
		if n := info.State.Subjects[fulfillmentholds.HoldTimerFiredPrefix+"once"]; n != 1 {
			t.Errorf("fired %d times", n)
		}
	})

	t.Run("purging the schedule subject cancels it; publishing again replaces it", func(t *testing.T) {
		due := time.Now().Add(time.Second)
		for _, key := range []string{"cancelled", "replaced", "control"} {
			if err := schedule(key, due, ""); err != nil {
				t.Fatal(err)
			}
		}
		subj, _ := fulfillmentholds.HoldTimerSubjects("cancelled")
		if err := timers.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
			t.Fatal(err)
		}
		if err := schedule("replaced", due.Add(time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		if !pending("replaced") || pending("cancelled") {
			t.Fatal("after purge and re-publish: want replaced pending and cancelled gone")
		}
		waitFired("control")
		if firedMsg("cancelled") != nil {
			t.Error("a purged schedule fired")
		}
		if firedMsg("replaced") != nil {
			t.Error("a replaced schedule fired at its old time")
		}
	})

	t.Run("@at in the past fires at once", func(t *testing.T) {
		if err := schedule("late", time.Now().Add(-time.Hour), ""); err != nil {
			t.Fatal(err)
		}
		waitFired("late")
	})
}
