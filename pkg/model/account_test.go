package model_test

import (
	"errors"
	"testing"

	"github.com/hookstream/hookstream/pkg/model"
)

func TestAccountID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ id, account, want string }{
		{"shipstation:123", "", "shipstation:123"},
		{"shipstation:123", "east", "shipstation:east:123"},
		{"shopline:1610418123456:4005", "shop-1", "shopline:shop-1:1610418123456:4005"},
	} {
		if got := model.AccountID(tc.id, tc.account); got != tc.want {
			t.Errorf("AccountID(%q, %q) = %q, want %q", tc.id, tc.account, got, tc.want)
		}
	}
}

// Two accounts' orders with the same provider number have different ids
// and keys, each valid; an id without its account is not.
func TestSetAccountKeepsAccountsApart(t *testing.T) {
	t.Parallel()
	east, west := validOrder(), validOrder()
	east.SetAccount("east")
	west.SetAccount("west")
	east.SetAccount("east") // twice is once
	if east.ID != "shipstation:east:123456789" || east.Key() != "shipstation.east.123456789" || east.Account != "east" {
		t.Errorf("east = %q, key %q, account %q", east.ID, east.Key(), east.Account)
	}
	if east.Key() == west.Key() || east.Key() == validOrder().Key() {
		t.Error("two accounts' orders share a key")
	}
	for _, o := range []model.Order{east, west} {
		if err := o.Validate(); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
	}
	wrong := validOrder()
	wrong.Account = "east" // the id does not name it
	if err := wrong.Validate(); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("an order whose id lacks its account validated: %v", err)
	}
	bad := validOrder()
	bad.SetAccount("East Coast")
	if err := bad.Validate(); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("an account name that is not a subject token validated: %v", err)
	}

	s, err := model.FromShoplineFulfillment(shoplineBody(t, "fulfillment.json", nil), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	s.SetAccount("shop-1")
	if s.ID != "shopline:shop-1:"+shoplineFulfillmentID || s.OrderID[:16] != "shopline:shop-1:" || s.Key() != "shopline.shop-1."+shoplineFulfillmentID {
		t.Errorf("shipment %q of order %q, key %q", s.ID, s.OrderID, s.Key())
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}

	h, err := model.FromShoplineFulfillmentOrder([]byte(`{"fulfillment_order":{"id":"9","shop_id":"77","order_id":"5","status":"open","updated_at":"2025-06-04T01:12:44Z"}}`), "77", holdT0)
	if err != nil {
		t.Fatal(err)
	}
	h.SetAccount("shop-1")
	if h.ID != "shopline:shop-1:77:9" || h.Key() != "shopline.shop-1.77.9" {
		t.Errorf("hold %q, key %q", h.ID, h.Key())
	}
	if err := h.Validate(); err != nil {
		t.Error(err)
	}
}
