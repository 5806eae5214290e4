package fulfillmentholds

import (
	"time"

	"github.com/hookstream/hookstream/pkg/streams"
	"github.com/nats-io/nats.go/jetstream"
)

// The HOLD_TIMERS stream: fulfillment-holds' overdue timers, kept by
// JetStream's message scheduler rather than in a process.
//
// Checked against nats-server 2.15.2 (see holdtimers_test.go): a message
// with Nats-Schedule "@at <RFC 3339 UTC>" and Nats-Schedule-Target fires
// once, as a copy of itself on the target; the target must be a subject of
// the same stream (error 10190 otherwise); a stream with schedules cannot
// use Discard: new (error 10052) and needs roll-ups; publishing a schedule
// again on its subject replaces it; purging the schedule's subject cancels
// it; the fired copy keeps the schedule's other headers (the CloudEvent's
// ce-* among them), loses its Nats-Msg-Id and gains Nats-Scheduler, the
// schedule's subject. That is why the timers have a stream of their own
// instead of living in FULFILLMENT, which keeps Discard: new.
const (
	// StreamHoldTimers is the name of the timers stream.
	StreamHoldTimers = "HOLD_TIMERS"
	// HoldTimerSchedulePrefix prefixes the schedule subjects:
	// holdtimers.schedule.<hold key>, one per fulfillment order.
	HoldTimerSchedulePrefix = "holdtimers.schedule."
	// HoldTimerFiredPrefix prefixes the subjects the schedules fire on:
	// holdtimers.fired.<hold key>.
	HoldTimerFiredPrefix = "holdtimers.fired."
	// DefaultHoldTimersDuplicateWindow is the timers stream's
	// de-duplication window. Schedules are published without a
	// Nats-Msg-Id (re-arming a cancelled timer must never be mistaken for
	// a duplicate), so the window only needs to exist.
	DefaultHoldTimersDuplicateWindow = 2 * time.Minute
)

// HoldTimerSubjects returns the schedule subject of the hold stored under
// key in the holds bucket, and the subject its schedule fires on.
func HoldTimerSubjects(key string) (schedule, fired string) {
	return HoldTimerSchedulePrefix + key, HoldTimerFiredPrefix + key
}

// HoldTimersStream returns the definition of the HOLD_TIMERS stream:
// subjects holdtimers.>, file storage, message schedules allowed (and so
// roll-ups, which the scheduler uses to keep one schedule per subject),
// Discard: old, since the server refuses schedules on a Discard: new
// stream. Every subject keeps only its latest message: a schedule subject
// holds at most one pending schedule anyway, and a fired subject only needs
// the last firing.
//
// o.MaxAge applies to pending schedules too, so it must be longer than the
// longest timer (fulfillment-holds checks HOLD_TIMERS_MAX_AGE against
// HOLD_OVERDUE_AFTER); zero keeps messages until they are replaced.
// o.MaxBytes, when set, drops the oldest timers first: leave it unset
// unless the stream must be capped.
func HoldTimersStream(o streams.Options) jetstream.StreamConfig {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.MaxAge < 0 {
		o.MaxAge = 0
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = DefaultHoldTimersDuplicateWindow
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:              StreamHoldTimers,
		Description:       "fulfillment-holds' overdue timers: JetStream message schedules on holdtimers.schedule.<hold key>, firing on holdtimers.fired.<hold key>",
		Subjects:          []string{"holdtimers.>"},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Discard:           jetstream.DiscardOld,
		MaxAge:            o.MaxAge,
		MaxBytes:          o.MaxBytes,
		MaxMsgs:           -1,
		MaxMsgsPerSubject: 1,
		Duplicates:        o.DuplicateWindow,
		Replicas:          o.Replicas,
		AllowMsgSchedules: true,
		AllowRollup:       true,
	}
}
