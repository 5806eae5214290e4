package state

import (
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
)

// traceExtensions are the CloudEvents distributed-tracing extensions a
// consumer carries from the event it handles to the events it publishes.
var traceExtensions = []string{"traceparent", "tracestate"}

// Outgoing builds a canonical event caused by cause (nil when none): a
// binary-mode message on et.Subject with type et.Type, the given id (also
// its Nats-Msg-Id, so it must be deterministic for the change), source,
// subject, time and JSON data, and the trace context of cause.
func Outgoing(cause *event.Event, et catalog.EventType, id, source, subject string, t time.Time, data []byte) (*nats.Msg, error) {
	e := event.New()
	e.SetID(id)
	e.SetSource(source)
	e.SetType(et.Type)
	e.SetSubject(subject)
	e.SetTime(t.UTC())
	if err := e.SetData(event.ApplicationJSON, data); err != nil {
		return nil, err
	}
	if cause != nil {
		for _, name := range traceExtensions {
			if v, ok := cause.Extensions()[name]; ok {
				e.SetExtension(name, v)
			}
		}
	}
	return ce.ToMsg(et.Subject, &e)
}
