// Package state keeps the newest state of hookstream's canonical entities
// (orders, shipments, fulfillment holds) in a KV bucket and publishes their
// canonical events so that no subscriber ever sees an entity go backwards.
//
// # The invariant
//
// For every entity, across replicas, concurrent handlers, redeliveries and a
// crash between any two steps:
//
//   - its events appear in the canonical stream with strictly increasing
//     entity versions (the ce-entityversion header: 1, 2, 3, … per entity);
//   - no event is published twice;
//   - the KV bucket holds the newest state;
//   - a newer state whose subscriber-visible content is unchanged is stored
//     and publishes nothing.
//
// # Why the first recipe broke it
//
// The first version read the record, decided, published the event and then
// wrote the record with compare-and-set. Two handlers holding versions 3
// and 2 of one order could both read version 1; the handler with version 3
// published and won the compare-and-set; the handler with version 2 then
// published too — its event was already in the stream, after version 3's —
// and only afterwards lost the compare-and-set. The KV ended right; the
// stream went backwards (4 of 40 orders in a fault run).
//
// # How Apply keeps it
//
// The record is the single truth, and events are published from it, never
// from a handler's private view (an outbox):
//
//  1. read the record; if it holds a pending event, publish that first
//     (see 4), so nothing newer can overtake it;
//  2. decide on the current state (the caller's domain decision);
//  3. compare-and-set the new state together with its event, marked
//     pending and given the next entity version; a handler that lost the
//     race starts again at 1 and decides on the newer state;
//  4. publish the pending event on its entity's own subject
//     (<root>.<provider>.<event>.<entity key>) with
//     Nats-Expected-Last-Subject-Sequence set to the stream sequence of the
//     entity's previous event, checked over all its event subjects: JetStream
//     itself refuses a publish from a writer whose view is stale, also long
//     after any de-duplication window;
//  5. compare-and-set the record again to clear the mark and remember the
//     event's stream sequence.
//
// A crash after 3 leaves the event pending: the next Apply on the key (a
// redelivery of the same message, any later message, or [Store.Sweep] at
// start-up) publishes it under the same id before anything else. A crash
// after 4 is found the same way: the publish is refused as a duplicate or a
// stale sequence, the entity's last event is read back, and when it is the
// pending event, its sequence is recorded and nothing is published again.
package state
