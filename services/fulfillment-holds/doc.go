// Package fulfillmentholds is hookstream's fulfillment-holds service: it
// turns SHOPLINE fulfillment-order updates and ShipStation rejections into
// hold_placed, hold_released, rejected and hold_overdue events on
// FULFILLMENT, keeps the latest record per fulfillment order in the KV
// bucket "holds", and schedules overdue alerts with JetStream's message
// scheduler rather than timers inside a process.
//
// # Webhooks
//
// SHOPLINE fulfillment_order/* (create, update, on_hold, released,
// submitted, accepted, rejected, cancellation_request_*) become a
// model.FulfillmentHold; ShipStation FULFILLMENT_REJECTED (and
// FULFILLMENT_REJECTED_V2, from the V2 API) is fetched from its
// resource_url and becomes one rejected record per fulfillment. Each
// record is applied in the order-safe sequence of state.Update (read, compare
// versions, publish, compare-and-set), so a redelivered or overtaken
// webhook changes nothing and publishes nothing. Events are published on
// changes of status only:
//
//	stored → new state          event
//	none or not held → held     fulfillment.<provider>.hold_placed
//	held → anything else        fulfillment.<provider>.hold_released (status says released, rejected, cancelled or closed)
//	not held → rejected         fulfillment.<provider>.rejected
//
// # Overdue holds
//
// For a held record the service publishes a schedule on HOLD_TIMERS,
// subject holdtimers.schedule.<key>, with Nats-Schedule "@at <placed_at +
// HOLD_OVERDUE_AFTER>" and target holdtimers.fired.<key>; for any other
// record it purges that subject, which cancels the schedule. This is
// reconciled from the stored record after every webhook, also one that
// changed nothing, so a crash between the KV write and the schedule is
// repaired by the redelivery. The schedule cannot target FULFILLMENT: the
// server accepts only targets in the schedule's own stream, and a stream
// with schedules cannot use Discard: new, which FULFILLMENT keeps.
//
// A second consumer (TimersDurable) takes the fired messages. The timer
// carries the record it was armed for; the alert is published only when
// the stored record is still held by that same hold (hold_seq and
// placed_at) and was not alerted yet, so a release that raced the timer,
// a later hold or a second firing publishes nothing. hold_overdue has the
// id <hold id>/hold_overdue@<hold_seq> and sets overdue_at in the record.
// Nothing in the process waits for time to pass: a restart or a second
// replica changes nothing.
package fulfillmentholds
