package subscribe

import "context"

// ForAccount returns a Handler that calls h only for the events of one
// account (Event.Account; "" is the default account) and acks the others
// without calling it: for a subscriber that serves one store of an
// agency's many. A filter subject narrows what the server delivers, too:
// a named account's entities have it as the fourth subject token
// (orders.*.*.east.>).
func ForAccount(account string, h Handler) Handler {
	return func(ctx context.Context, e Event) error {
		if e.Account != account {
			return nil
		}
		return h(ctx, e)
	}
}
