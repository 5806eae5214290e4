// Package subscribe is the Go client for teams that consume hookstream's
// canonical events: orders on orders.>, shipments on shipments.>,
// fulfillment holds on fulfillment.>.
//
// [Decode] and [DecodeMsg] turn a message into an [Event], whose
// [Event.Order], [Event.Shipment] and [Event.Hold] return the canonical
// records of pkg/model. [Run] runs a durable consumer for a subscriber on
// the same runner hookstream's own services use (pkg/runner): explicit
// acks, redelivery with backoff, a dead-letter copy on dlq.<durable>.> for
// what cannot be handled. [OnOrder], [OnShipment], [OnDelivered] and [OnHold]
// adapt a typed function to a [Handler]; [NewestOnly] drops deliveries that are
// not newer than what was already handled for their entity.
//
// # The contract it relies on
//
// Every canonical event is a binary-mode CloudEvent on its entity's own
// subject, <root>.<provider>.<event>.<entity key>
// (orders.shipstation.upserted.123456789,
// fulfillment.shopline.hold_overdue.<shop>.<fulfillment order id>), with
// ce-subject the entity id ("shipstation:123456789"), ce-entityversion the
// entity's version (1, 2, 3, … strictly increasing in stream order per
// entity) and ce-id "<entity id>@<version>". Delivery is at least once: a
// subscriber that must not act twice drops an event whose version is not
// above the last one it handled for the entity, which is what NewestOnly
// does.
//
// # Handler results
//
// A Handler's result means what it means to the runner: nil acks;
// runner.Retryable, runner.RetryAfter or any other error redelivers later
// (1s, 5s, 30s, 2m, 5m, 10m, 15m by default); runner.Permanent copies the
// message to the DLQ stream at once. After the last allowed delivery
// (default 8) a failing message goes to the DLQ too. A message that is not
// a canonical event, or whose data does not decode into the record a typed
// handler expects, goes to the DLQ without retries.
package subscribe
