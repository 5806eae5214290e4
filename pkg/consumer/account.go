package consumer

import (
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/accounts"
)

// Account returns the named account a stored webhook (or a reconciled
// resource) belongs to, its ce-account; "" for the default account. A
// handler gives it to the canonical record it builds (Order.SetAccount and
// the like), so two accounts' records never share an id, a key or a
// subject.
func Account(e *event.Event) string {
	v, _ := e.Extensions()[accounts.Extension].(string)
	return v
}
