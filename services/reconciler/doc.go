// Package reconciler is hookstream's reconciler: it finds the resources
// whose webhooks a provider never delivered. On an interval it lists what
// changed since its checkpoint at ShipStation (orders by modifyDate, labels
// by createDate and voidDate, fulfillments by createDate), at Snipcart
// (orders by placement date, re-reading the recent ones for later changes)
// and at SHOPLINE (orders by updated_at, each fulfillment status), leaves
// out every resource the canonical state already holds at that
// version, and publishes each other one, whole, into the WEBHOOKS stream on
// webhooks.<provider>.reconciled.<kind>. The order-enricher and the
// shipment-tracker apply those with the same normalisers and the same state
// path as the resources of webhooks, so a resource that was delivered
// changes nothing and a missed one appears within one interval, durably and
// replayably.
//
// Checkpoints live in the KV bucket reconcile_checkpoints (key
// <provider>.<kind>) and advance only after a window's resources are
// published, so a restart resumes where the last complete window ended.
// One replica works at a time: it holds a lease in the same bucket,
// renewed with compare-and-set.
package reconciler
