package fulfillmentholds_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/natstest"
)

// The same fulfillment order held for the default account and for the
// named account "shop-1": two records, two hold_placed events, two overdue
// timers, each hold_overdue with its account; releasing one leaves the
// other held.
func TestAccountsHoldApart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{"HOLD_OVERDUE_AFTER": "1s"})
	h.start()
	placed := time.Now().UTC()
	named := append(shoplineAttributes("named", nil), consumertest.WithExtension(accounts.Extension, "shop-1"))
	h.shopline("fulfillment_order/update", "default", example(t, "update", placed))
	h.Webhook(catalog.Shopline, "fulfillment_order/update", example(t, "update", placed), named...)
	natstest.Eventually(t, "two hold_overdue", func() bool { return len(h.eventsOf(catalog.HoldOverdue)) == 2 })
	h.settled()

	namedID := model.AccountID(holdID, "shop-1")
	for _, id := range []string{holdID, namedID} {
		rec, ok := h.stored(strings.ReplaceAll(id, ":", "."))
		if !ok || rec.ID != id || rec.Status != model.HoldHeld || rec.OverdueAt.IsZero() {
			t.Errorf("%s: %+v (found %v)", id, rec, ok)
		}
	}
	for _, e := range h.events() {
		account, _ := e.Extensions()[accounts.Extension].(string)
		if named := e.Subject() == namedID; named != (account == "shop-1") || named != strings.HasSuffix(e.Source(), "/accounts/shop-1") {
			t.Errorf("%s %s: account %q, source %q", e.Type(), e.Subject(), account, e.Source())
		}
		validate(t, e)
	}
}
