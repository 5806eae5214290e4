package shipmenttracker_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/model"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// The same tracking number tracked for the default account and for "east",
// and the same SHOPLINE fulfillment for two shops' accounts: each account
// has its own shipment, tracking index entry and order index, on subjects
// that name it, and every event holds to the canonical contract.
func TestAccountsKeepShipmentsApart(t *testing.T) {
	h := newHarness(t, nil)
	h.start()
	east := consumertest.WithExtension(accounts.Extension, "east")
	h.track(trackExample(t, ""))
	h.Webhook(catalog.ShipStation, "TRACK_EVENT_V2", trackExample(t, ""), east)
	body := shoplineFulfillmentBody(t, "fulfillments/create", nil)
	for _, shop := range []string{"shop-1", "shop-2"} {
		h.Webhook(catalog.Shopline, "fulfillments/create", body, consumertest.WithExtension("shopid", shoplineShop),
			consumertest.WithExtension(accounts.Extension, shop))
	}
	h.settled()
	h.noDLQ()

	got := h.trackEvents() // also holds each event to the contract
	slices.Sort(got)
	fulfillment := strings.TrimPrefix(shoplineFulfillment, "shopline:")
	want := []string{
		"shipments.shipstation.delivery_updated.east.t" + trackedNumber + "/in_transit",
		"shipments.shipstation.delivery_updated.t" + trackedNumber + "/in_transit",
		"shipments.shopline.tracking_updated.shop-1." + fulfillment + "/unknown",
		"shipments.shopline.tracking_updated.shop-2." + fulfillment + "/unknown",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%v\nwant\n%v", got, want)
	}
	for _, account := range []string{"", "east"} {
		key := shipmenttracker.TrackingIndexKey(model.ProviderShipStation, account, trackedNumber)
		if idx, ok := h.storedIndex(key); !ok || idx.ShipmentID != model.AccountID("shipstation:t"+trackedNumber, account) {
			t.Errorf("%s: %+v (found %v)", key, idx, ok)
		}
	}
	for _, shop := range []string{"shop-1", "shop-2"} {
		order := model.AccountID(shoplineOrder, shop)
		if idx := h.index(order); !slices.Equal(idx.Shipments, []string{model.AccountID(shoplineFulfillment, shop)}) {
			t.Errorf("index of %s: %+v", order, idx)
		}
		if sh, ok := h.stored(strings.ReplaceAll(model.AccountID(shoplineFulfillment, shop), ":", ".")); !ok || sh.Account != shop || sh.OrderID != order {
			t.Errorf("%s's shipment: %+v (found %v)", shop, sh, ok)
		}
	}
}
