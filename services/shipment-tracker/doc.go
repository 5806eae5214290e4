// Package shipmenttracker is hookstream's shipment-tracker: it turns every
// way a shipment becomes known (a ShipStation label, a fulfillment shipped
// by a fulfillment provider or marked shipped, a Snipcart tracking-number
// change, a SHOPLINE fulfillment) into canonical shipment events on SHIPMENTS, and keeps the
// current shipments of every order in the KV bucket "shipments".
//
// For a ShipStation SHIP_NOTIFY or ITEM_SHIP_NOTIFY it fetches the labels
// the webhook's resource_url names (GET /shipments, every page); for a
// FULFILLMENT_SHIPPED, the fulfillments (GET /fulfillments), and for a
// FULFILLMENT_SHIPPED_V2 those of the V2 API (GET /v2/fulfillments, with
// the V2 key; ids shipstation:v2f_<fulfillment_id>); a Snipcart
// order.trackingNumber.changed carries the new number and URL itself, and a
// SHOPLINE fulfillments/create or fulfillments/update the whole fulfillment
// (its tracking_info_list, shipment_status and line items), a ShipStation
// TRACK_EVENT_V2 or API_TRACK the carrier's tracking (see Carrier tracking
// below). Each
// shipment becomes a model.Shipment (carrier normalised, tracking URL built
// when the provider gives none) and is published as
// shipments.<provider>.tracking_updated, or shipments.<provider>.voided
// when the label is voided or the fulfillment cancelled (SHOPLINE status
// cancelled).
//
// # State
//
// The bucket "shipments" holds one key per shipment, <provider>.<external
// id> (shipstation.<shipmentId>, shipstation.f<fulfillmentId>,
// snipcart.<order token>, shopline.<fulfillment id>), with the latest model.Shipment, and one key per
// order, order.<provider>.<external order id>, with an [OrderIndex] of its
// shipment ids. Both change only through state.Store.Apply: a shipment is
// stored only when its version is newer than the stored one (see
// model.Shipment.Version) and published only when what a subscriber sees
// changed, on shipments.<provider>.<event>.<key without provider> with an
// entity version one above its last event's, so a redelivered or reordered
// webhook changes nothing and publishes nothing.
//
// # Voided labels
//
// voided is published whenever a shipment is stored in a voided state it
// was not in before: when a label tracked earlier is voided, and also when
// a label is first seen already voided (the stream is the complete history
// of the bucket, and a consumer that missed the label learns that it is
// void; one that never heard of it can ignore the event). A voided shipment
// is never un-voided: an older, unvoided state delivered later is dropped.
// A voided shipment whose record gains its items (an ITEM_SHIP_NOTIFY after
// the SHIP_NOTIFY) is published once more, again as voided.
//
// # Carrier tracking
//
// A ShipStation TRACK_EVENT_V2 (or the older API_TRACK) carries the
// carrier's status and whole event history of one parcel
// (model.ParseShipStationTrack). The key tracking.<provider>.<number> of
// the bucket names the one shipment a tracking number belongs to
// ([TrackingIndex]): a label or fulfillment claims its number when it is
// applied, and tracking goes to the shipment the number names. Tracking for
// a number nobody claimed claims it for a new shipment
// shipstation:t<number> (model.NewTrackedShipment: source tracking, no
// order yet); a label or fulfillment that later finds its number claimed
// by such a shipment is applied under that id, so one parcel is never two
// shipments. Claims are compare-and-set writes, so a label and its
// tracking arriving at once still meet in one shipment.
//
// Tracking is applied with model.Shipment.ApplyTrack through the same
// state.Store.Apply as everything else: its version is the time of its
// newest event, so a redelivery or an older delivery changes nothing; a
// label or fulfillment applied later keeps the stored tracking
// (model.Shipment.KeepTracking). The event published is delivered when the
// delivery status becomes delivered, delivery_updated when only the
// delivery part changed (tracking, or SHOPLINE's shipment_status alone),
// tracking_updated for a change of the label or fulfillment, and voided for
// a voided shipment, whatever else changed.
package shipmenttracker
