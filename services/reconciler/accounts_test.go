package reconciler_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/services/reconciler"
)

// A named ShipStation account whose webhooks were all lost, beside the
// default account whose webhooks arrived, with the same order ids: the
// reconciler lists the account with its own keys and checkpoint, finds
// exactly its orders, and they become the account's canonical orders (its
// subjects, ce-account), the default account's untouched. A second run
// finds nothing.
func TestNamedAccountIsReconciledApart(t *testing.T) {
	h := newHarness(t)
	east, eastURL := consumertest.ShipStationSandbox(t, sandbox.ShipStationKey{Key: "east-key", Secret: "east-secret"})
	east.SetRateLimit(0, 0)
	file := consumertest.AccountsFile(t, `
shipstation:
  - account: east
    api_key: {env: EAST_KEY}
    api_secret: {env: EAST_SECRET}
    api_url: `+eastURL+`
`)
	h.create("/orders", "same", 3, false)
	east.SetBatchSize("same", 3)
	if created, err := east.Create(eastURL + "/orders?storeID=123456&importBatch=same"); err != nil || !created {
		t.Fatalf("east: Create = %v, %v", created, err)
	}
	natstest.Eventually(t, "the default account's orders", func() bool { return len(h.entities(catalog.StreamOrders)) == 3 })
	h.settled()

	svc := h.reconciler(map[string]string{accounts.FileVar: file, "EAST_KEY": "east-key", "EAST_SECRET": "east-secret"})
	ws, err := svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, w := range ws {
		found[w.Account+"/"+w.Provider+"/"+w.Kind] += w.Found
	}
	if found["east/shipstation/orders"] != 3 || sumFound(ws) != 3 {
		t.Errorf("found %v, want east's 3 orders alone: %s", found, describe(ws))
	}
	natstest.Eventually(t, "east's orders", func() bool { return len(h.entities(catalog.StreamOrders)) == 6 })
	h.settled()
	eachOnce(t, "after the run", h.entities(catalog.StreamOrders), 6)
	named := 0
	for _, e := range h.Events(catalog.StreamOrders) {
		account, _ := e.Event.Extensions()[accounts.Extension].(string)
		if strings.HasPrefix(e.Subject, "orders.shipstation.upserted.east.") {
			named++
			if account != "east" || !strings.HasPrefix(e.Event.Subject(), "shipstation:east:") {
				t.Errorf("%s: account %q, entity %s", e.Subject, account, e.Event.Subject())
			}
		} else if account != "" {
			t.Errorf("the default account's %s carries account %q", e.Subject, account)
		}
	}
	if named != 3 {
		t.Errorf("%d events of east's, want 3", named)
	}
	if east.RequestsFor("/orders") == 0 {
		t.Error("east's orders were not listed at east's ShipStation")
	}
	kv := h.Bucket(reconciler.BucketCheckpoints)
	entry, err := kv.Get(context.Background(), "shipstation.east.orders")
	if err != nil {
		t.Fatalf("east's checkpoint: %v", err)
	}
	var cp reconciler.Checkpoint
	if err := json.Unmarshal(entry.Value(), &cp); err != nil || cp.Found != 3 {
		t.Errorf("east's checkpoint %s: %v", entry.Value(), err)
	}

	ws, err = svc.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := sumFound(ws); n != 0 {
		t.Errorf("second run found %d, want 0: %s", n, describe(ws))
	}
}
