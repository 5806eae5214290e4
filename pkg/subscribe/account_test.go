package subscribe_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/subscribe"
)

func TestForAccountPassesOneAccount(t *testing.T) {
	var handled []string
	for _, account := range []string{"east", ""} {
		h := subscribe.ForAccount(account, func(_ context.Context, e subscribe.Event) error {
			handled = append(handled, e.EntityID)
			return nil
		})
		for _, e := range []subscribe.Event{
			{EntityID: "shipstation:1"},
			{EntityID: "shipstation:east:1", Account: "east"},
			{EntityID: "shipstation:west:1", Account: "west"},
		} {
			if err := h(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want := []string{"shipstation:east:1", "shipstation:1"}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}

// A named account's event decodes with its account, which its entity id,
// subject and source also name.
func TestDecodeNamedAccountEvent(t *testing.T) {
	e := newEnv(t)
	h := hold("77", model.HoldHeld, time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC))
	h.SetAccount("shop-1")
	e.putHold(t, h, catalog.HoldPlaced)
	ev := e.decodeStored(t, catalog.StreamFulfillment, 1)
	if ev.Account != "shop-1" || ev.EntityID != "shopline:shop-1:1610418123456:77" ||
		ev.Subject != "fulfillment.shopline.hold_placed.shop-1.1610418123456.77" || !strings.HasSuffix(ev.Source, "/accounts/shop-1") {
		t.Errorf("decoded %+v", ev)
	}
	if got, err := ev.Hold(); err != nil || got.Account != "shop-1" {
		t.Errorf("Hold() = %+v, %v", got, err)
	}
}
