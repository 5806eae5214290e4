// Package fulfillmentholds is hookstream's fulfillment-holds service: it
// turns SHOPLINE fulfillment-order updates and ShipStation rejections into
// hold_placed, hold_released, rejected and hold_overdue events on
// FULFILLMENT, keeps the latest record per fulfillment order in the KV
// bucket "holds", and schedules overdue alerts with JetStream's message
// scheduler rather than timers inside a process.
package fulfillmentholds
