package shipmenttracker

import (
	"testing"

	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
)

// Every webhook type the service handles is consumed, and every one it
// consumes is handled: both come from one table.
func TestWebhookRoutes(t *testing.T) {
	consumertest.CheckRoutes(t, (&Service{}).webhooks())
}
