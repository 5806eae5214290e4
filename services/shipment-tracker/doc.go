// Package shipmenttracker is hookstream's shipment-tracker: it turns every
// way a shipment becomes known (a ShipStation label, a fulfillment shipped
// by a fulfillment provider or marked shipped, a Snipcart tracking-number
// change) into canonical shipment events on SHIPMENTS, and keeps the
// current shipments of every order in the KV bucket "shipments".
package shipmenttracker
