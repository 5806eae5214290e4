package model_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
)

// TestShoplineListedOrder: a listed order is the webhook's order but for
// the tie-break: at one updated_at every webhook copy (whatever its bytes)
// and a deletion are newer; a later updated_at is newer than any webhook
// copy before it; the same listed body gives the same version.
func TestShoplineListedOrder(t *testing.T) {
	t.Parallel()
	body := shoplineBody(t, "order.json", nil)
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		t.Fatal(err)
	}
	hooked, err := model.FromShoplineOrder(body, shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := model.FromShoplineListedOrder(compact.Bytes(), shoplineShop)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := model.FromShoplineListedOrder(compact.Bytes(), shoplineShop)
	if listed.Version() != again.Version() {
		t.Error("one listed body, two versions")
	}
	a, _ := listed.ContentFingerprint()
	b, _ := hooked.ContentFingerprint()
	if a != b || listed.Store != shoplineShop {
		t.Errorf("listed content %s (store %q), webhook's %s: want the same", a, listed.Store, b)
	}
	for name, w := range map[string][]byte{"indented": body, "compact": compact.Bytes(), "other bytes": shoplineBody(t, "order.json", map[string]any{"note": "x"})} {
		hook, err := model.FromShoplineOrder(w, shoplineShop)
		if err != nil {
			t.Fatal(err)
		}
		if !hook.Version().After(listed.Version()) || listed.Version().After(hook.Version()) {
			t.Errorf("%s webhook copy %s is not newer than the listed one %s", name, hook.Version(), listed.Version())
		}
	}
	del, err := model.FromShoplineOrderDeletion(body, shoplineShop, time.Time{})
	if err != nil || del.Order == nil || !del.Order.Version().After(listed.Version()) {
		t.Errorf("deletion %+v (%v) is not newer than the listed order", del.Order, err)
	}
	later, _ := model.FromShoplineListedOrder(shoplineBody(t, "order.json", map[string]any{"updated_at": "2030-01-01T00:00:00Z"}), shoplineShop)
	if !later.Version().After(hooked.Version()) {
		t.Error("a listed order with a later updated_at is not newer than the webhook's")
	}
	if _, err := model.FromShoplineListedOrder([]byte(`{"id":"1"}`), shoplineShop); err == nil {
		t.Error("an order without updated_at was normalised")
	}
}
