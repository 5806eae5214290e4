package consumer

import (
	"time"

	"github.com/hookstream/hookstream/pkg/runner"
)

// EventTime is a webhook's time: its ce-time (the gateway sets the
// provider's time when the body has one, else when it received the
// webhook), else when JetStream stored it, else the zero time. It is the
// same on every delivery of one message.
func EventTime(m *runner.Message) time.Time {
	if t := m.Event.Time(); !t.IsZero() {
		return t
	}
	if m.Msg != nil {
		if meta, err := m.Msg.Metadata(); err == nil {
			return meta.Timestamp
		}
	}
	return time.Time{}
}
