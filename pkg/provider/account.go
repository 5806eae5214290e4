package provider

import "strings"

// ForAccount returns w as a webhook of the named account: its ID becomes
// AccountWebhookID(w.ID, account), so that two accounts' identical
// deliveries are two events, and its Source AccountSource(w.Source,
// account). The default account ("") keeps w as it is. The gateway adds
// the account itself as the CloudEvents extension "account".
func (w Webhook) ForAccount(account string) Webhook {
	if account == "" {
		return w
	}
	w.ID = AccountWebhookID(w.ID, account)
	w.Source = AccountSource(w.Source, account)
	return w
}

// AccountWebhookID is a named account's de-duplication id (ce-id,
// Nats-Msg-Id) for a delivery whose default-account id is id:
// "<account>/<id>". Account names have no "/", provider ids never start
// with one, so the two forms cannot be confused.
func AccountWebhookID(id, account string) string {
	if account == "" {
		return id
	}
	return account + "/" + id
}

// AccountSource is a named account's CloudEvents source for a webhook
// whose default-account source is source: the account goes after the
// provider, "/shipstation/stores/123" becoming
// "/shipstation/accounts/east/stores/123" and "/snipcart/live"
// "/snipcart/accounts/shop-a/live". A source of one segment
// ("/shipstation") becomes "/shipstation/accounts/east".
func AccountSource(source, account string) string {
	if account == "" {
		return source
	}
	provider, rest, _ := strings.Cut(strings.TrimPrefix(source, "/"), "/")
	s := "/" + provider + "/accounts/" + account
	if rest != "" {
		s += "/" + rest
	}
	return s
}

// DefaultSource undoes AccountSource: it returns source without its
// account ("/shipstation/accounts/east/stores/123" becomes
// "/shipstation/stores/123") and the account, "" when source names none.
// Readers of a source's parts (the store, the shop, the mode) read them
// from what it returns, whichever account the source is of.
func DefaultSource(source string) (string, string) {
	provider, rest, ok := strings.Cut(strings.TrimPrefix(source, "/"), "/")
	if !ok {
		return source, ""
	}
	rest, ok = strings.CutPrefix(rest, "accounts/")
	if !ok {
		return source, ""
	}
	account, rest, _ := strings.Cut(rest, "/")
	if account == "" {
		return source, ""
	}
	if rest == "" {
		return "/" + provider, account
	}
	return "/" + provider + "/" + rest, account
}
