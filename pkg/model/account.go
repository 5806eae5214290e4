package model

import (
	"regexp"
	"strings"
)

// accountPattern is a named account: see package accounts.
var accountPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// AccountID returns id, a canonical "<provider>:<rest>" id of the default
// account, as the named account's: "<provider>:<account>:<rest>". The
// default account ("") keeps id as it is, so a deployment that names no
// account keeps the ids it always had; a named account's ids never collide
// with another's, whatever numbers the providers give them.
func AccountID(id, account string) string {
	if account == "" {
		return id
	}
	provider, rest, ok := strings.Cut(id, ":")
	if !ok {
		return id
	}
	return provider + ":" + account + ":" + rest
}

// defaultAccountID undoes AccountID: it returns id without account, and
// whether id had it. Validate methods check the rest as the default
// account's.
func defaultAccountID(id, account string) (string, bool) {
	if account == "" {
		return id, true
	}
	provider, rest, ok := strings.Cut(id, ":")
	if !ok {
		return id, false
	}
	rest, ok = strings.CutPrefix(rest, account+":")
	return provider + ":" + rest, ok
}

// checkAccount adds a problem when account is not an account name or id
// is not the account's.
func checkAccount(bad func(string, ...any), account string, ids ...string) {
	if account == "" {
		return
	}
	if !accountPattern.MatchString(account) {
		bad("account %q is not [a-z0-9][a-z0-9_-]{0,39}", account)
		return
	}
	for _, id := range ids {
		if _, ok := defaultAccountID(id, account); !ok {
			bad("id %q is not account %q's: <provider>:%s:<id>", id, account, account)
		}
	}
}

// SetAccount makes o the named account's: Account set and the account in
// its id. Normalisers build the default account's order; a consumer calls
// this with the webhook's account (ce-account) before storing it.
func (o *Order) SetAccount(account string) {
	if account == "" || o.Account == account {
		return
	}
	o.Account, o.ID = account, AccountID(o.ID, account)
}

// SetAccount makes s the named account's, its order's id included; see
// Order.SetAccount.
func (s *Shipment) SetAccount(account string) {
	if account == "" || s.Account == account {
		return
	}
	s.Account, s.ID = account, AccountID(s.ID, account)
	if s.OrderID != "" {
		s.OrderID = AccountID(s.OrderID, account)
	}
}

// SetAccount makes h the named account's; see Order.SetAccount. Its
// OrderID, the provider's own id of the order, stays as it is.
func (h *FulfillmentHold) SetAccount(account string) {
	if account == "" || h.Account == account {
		return
	}
	h.Account, h.ID = account, AccountID(h.ID, account)
}
