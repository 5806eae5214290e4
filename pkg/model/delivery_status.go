package model

import (
	"slices"
	"strings"
)

// DeliveryStatus is where a parcel is, in the same words for every provider
// and carrier: the normalisation of ShipStation's tracking status_code and
// status_detail_code and of SHOPLINE's shipment_status.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryLabelCreated: a label exists but the carrier has not reported
	// the parcel yet (ShipStation NY "not yet in system"; SHOPLINE
	// label_printed, label_purchased, confirmed). The status of every label
	// without tracking.
	DeliveryLabelCreated DeliveryStatus = "label_created"
	// DeliveryInTransit: the carrier has the parcel (ShipStation AC
	// accepted, IT in transit; SHOPLINE in_transit).
	DeliveryInTransit DeliveryStatus = "in_transit"
	// DeliveryOutForDelivery: on the vehicle for its last leg.
	DeliveryOutForDelivery DeliveryStatus = "out_for_delivery"
	// DeliveryDelivered: the carrier has completed delivery, to the
	// recipient or to a collection point (ShipStation DE and SP; SHOPLINE
	// delivered, ready_for_pickup, picked_up).
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryException: the carrier cannot go on without someone acting:
	// an exception (ShipStation EX), a failed delivery attempt (ShipStation
	// AT, SHOPLINE attempted_delivery) or a failure (SHOPLINE failure).
	DeliveryException DeliveryStatus = "exception"
	// DeliveryReturned: on its way back to, or back with, the sender.
	DeliveryReturned DeliveryStatus = "returned"
	// DeliveryUnknown: no tracking and no label (fulfillments, Snipcart),
	// or a status the carrier or this table does not map.
	DeliveryUnknown DeliveryStatus = "unknown"
)

// DeliveryStatuses returns every DeliveryStatus, in the order of the
// canonical shipment schema's enum.
func DeliveryStatuses() []DeliveryStatus {
	return []DeliveryStatus{
		DeliveryLabelCreated, DeliveryInTransit, DeliveryOutForDelivery, DeliveryDelivered,
		DeliveryException, DeliveryReturned, DeliveryUnknown,
	}
}

// Valid reports whether d is one of DeliveryStatuses.
func (d DeliveryStatus) Valid() bool { return slices.Contains(DeliveryStatuses(), d) }

// shipStationStatusCodes maps ShipStation's (ShipEngine's) tracking
// status_code.
var shipStationStatusCodes = map[string]DeliveryStatus{
	"UN": DeliveryUnknown,
	"NY": DeliveryLabelCreated,
	"AC": DeliveryInTransit,
	"IT": DeliveryInTransit,
	"DE": DeliveryDelivered,
	"SP": DeliveryDelivered,
	"EX": DeliveryException,
	"AT": DeliveryException,
}

// shipStationDetailCodes maps the status_detail_codes that say more than
// their status_code; any other detail code defers to the status_code.
var shipStationDetailCodes = map[string]DeliveryStatus{
	"OUT_FOR_DELIVERY":   DeliveryOutForDelivery,
	"RETURN_TO_SENDER":   DeliveryReturned,
	"RETURNED_TO_SENDER": DeliveryReturned,
	"RETURNING":          DeliveryReturned,
	"RETURNED":           DeliveryReturned,
	"SHIPMENT_RETURNED":  DeliveryReturned,
}

// NormaliseShipStationStatus maps a ShipStation V2 tracking status
// (status_code and status_detail_code, any case) to a DeliveryStatus.
// A detail code that says more wins: OUT_FOR_DELIVERY is
// out_for_delivery (its status_code is IT), and a detail code naming a
// return (RETURN_TO_SENDER, RETURNED_TO_SENDER, …) is returned whatever the
// status_code (a parcel delivered back to the sender is DE). Otherwise the
// status_code decides: UN unknown, NY label_created, AC and IT in_transit,
// DE and SP (delivered to a collection location) delivered, EX exception,
// AT (a failed delivery attempt, which needs the recipient to act)
// exception. An empty or unknown code is unknown.
func NormaliseShipStationStatus(statusCode, detailCode string) DeliveryStatus {
	detail := strings.ToUpper(strings.TrimSpace(detailCode))
	if d, ok := shipStationDetailCodes[detail]; ok {
		return d
	}
	if strings.Contains(detail, "RETURN") {
		return DeliveryReturned
	}
	if d, ok := shipStationStatusCodes[strings.ToUpper(strings.TrimSpace(statusCode))]; ok {
		return d
	}
	return DeliveryUnknown
}

// shoplineShipmentStatuses maps SHOPLINE's shipment_status, including the
// misspelling "faliure" that order payloads use.
var shoplineShipmentStatuses = map[string]DeliveryStatus{
	"label_printed":      DeliveryLabelCreated,
	"label_purchased":    DeliveryLabelCreated,
	"confirmed":          DeliveryLabelCreated,
	"in_transit":         DeliveryInTransit,
	"out_for_delivery":   DeliveryOutForDelivery,
	"ready_for_pickup":   DeliveryDelivered,
	"picked_up":          DeliveryDelivered,
	"delivered":          DeliveryDelivered,
	"attempted_delivery": DeliveryException,
	"failure":            DeliveryException,
	"faliure":            DeliveryException,
	"returned":           DeliveryReturned,
}

// NormaliseShoplineShipmentStatus maps SHOPLINE's shipment_status (any
// case, words joined by '_', ' ' or '-') to a DeliveryStatus: label_printed,
// label_purchased and confirmed are label_created; in_transit;
// out_for_delivery; delivered, ready_for_pickup and picked_up are
// delivered (the carrier's part is done, as for ShipStation's SP);
// attempted_delivery, failure and faliure are exception; returned. Empty
// or unknown is unknown.
func NormaliseShoplineShipmentStatus(raw string) DeliveryStatus {
	key := carrierKey(raw) // lower case, words joined by '_'
	if d, ok := shoplineShipmentStatuses[key]; ok {
		return d
	}
	return DeliveryUnknown
}

// defaultDeliveryStatus is the status of a shipment no tracking has
// reached: a ShipStation label is label_created, a SHOPLINE fulfillment
// has its shipment_status, everything else is unknown.
func (s Shipment) defaultDeliveryStatus() DeliveryStatus {
	switch {
	case s.ShipmentStatus != "":
		return NormaliseShoplineShipmentStatus(s.ShipmentStatus)
	case s.Source == SourceLabel:
		return DeliveryLabelCreated
	}
	return DeliveryUnknown
}
