package sandbox

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

func recordsClient(t *testing.T, base string) *shipstation.Client {
	t.Helper()
	hosts, err := shipstation.ParseResourceHosts(regexp.QuoteMeta(strings.TrimPrefix(base, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := shipstation.NewClient(shipstation.ClientConfig{
		Primary:   shipstation.Credentials{Key: ssKeyA.Key, Secret: ssKeyA.Secret},
		BaseURL:   base,
		Resources: shipstation.ResourcePolicy{Hosts: hosts, AllowHTTP: true},
		PageSize:  2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestShipStationAPIRecords: created batches are listed by the date filters
// (in Pacific time, ends inclusive to the second), with exactly the items a
// fetch of their resource_url gives; batches never created are not listed.
func TestShipStationAPIRecords(t *testing.T) {
	t.Parallel()
	api, srv, clock := startShipStationAPI(t)
	api.SetVoidRate(2)
	c := recordsClient(t, srv.URL)
	ctx := context.Background()

	t0 := clock.Now()
	for _, u := range []string{
		srv.URL + "/orders?storeID=42&importBatch=a",
		srv.URL + "/shipments?batchId=100",
		srv.URL + "/fulfillments?batchId=200",
	} {
		if created, err := api.Create(u); err != nil || !created {
			t.Fatalf("Create(%s) = %v, %v", u, created, err)
		}
	}
	clock.Advance(10 * time.Minute)
	if _, err := api.Create(srv.URL + "/orders?storeID=42&importBatch=b"); err != nil {
		t.Fatal(err)
	}
	if created, _ := api.Create(srv.URL + "/orders?storeID=42&importBatch=a&page=2"); created {
		t.Error("a second Create of batch a reported a new batch")
	}
	if _, err := api.Create(srv.URL + "/admin"); err == nil {
		t.Error("Create accepted a path that is no collection")
	}
	if got := api.Created("/orders"); got != 2 {
		t.Errorf("Created(/orders) = %d, want 2", got)
	}
	api.SetBatchSize("b", 3)

	byURL, _, err := c.ListOrders(ctx, srv.URL+"/orders?storeID=42&importBatch=a")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range byURL {
		if !o.ModifyDate.Equal(t0) {
			t.Errorf("order %d modifyDate %s, want the creation time %s", o.OrderID, o.ModifyDate, t0)
		}
	}
	list := func(w shipstation.Window) []shipstation.Order {
		var out []shipstation.Order
		if _, err := c.OrdersModified(ctx, w, func(p []shipstation.Order) error { out = append(out, p...); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The window [t0, t0+1s] holds batch a only: exactly as fetched.
	if got := list(shipstation.Window{Start: t0, End: t0.Add(time.Second)}); !reflect.DeepEqual(got, byURL) {
		t.Errorf("listed %+v\nfetched %+v", got, byURL)
	}
	if got := list(shipstation.Window{Start: t0.Add(time.Second), End: t0.Add(10*time.Minute - time.Second)}); len(got) != 0 {
		t.Errorf("a window between the batches listed %d orders", len(got))
	}
	if got := list(shipstation.Window{Start: t0.Add(-time.Hour), End: t0.Add(time.Hour)}); len(got) != len(byURL)+3 {
		t.Errorf("both batches: %d orders, want %d", len(got), len(byURL)+3)
	}

	var labels, voids []shipstation.Shipment
	w := shipstation.Window{Start: t0, End: t0}
	if _, err := c.ShipmentsCreated(ctx, w, func(p []shipstation.Shipment) error { labels = append(labels, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ShipmentsVoided(ctx, w, func(p []shipstation.Shipment) error { voids = append(voids, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	fetched, _, err := c.ListShipments(ctx, srv.URL+"/shipments?batchId=100")
	if err != nil || !reflect.DeepEqual(labels, fetched) {
		t.Errorf("labels listed %+v, fetched %+v, %v", labels, fetched, err)
	}
	nVoided := 0
	for _, l := range labels {
		if l.Voided {
			nVoided++
		}
	}
	if len(voids) != nVoided {
		t.Errorf("%d voids listed, %d voided labels", len(voids), nVoided)
	}
	var fulfillments []shipstation.Fulfillment
	if _, err := c.FulfillmentsCreated(ctx, w, func(p []shipstation.Fulfillment) error { fulfillments = append(fulfillments, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(fulfillments) == 0 || !fulfillments[0].CreateDate.Equal(t0) {
		t.Errorf("fulfillments %+v", fulfillments)
	}

	// A malformed filter is refused as ShipStation refuses it.
	a := ssGet(t, srv, "/orders?modifyDateStart=2025-03-01T04:00:00", &ssKeyA)
	if a.status != http.StatusBadRequest {
		t.Errorf("malformed filter: %d", a.status)
	}
}

// TestShipStationCreateRoute: POST ShipStationCreatePath records a batch.
func TestShipStationCreateRoute(t *testing.T) {
	t.Parallel()
	api, srv, _ := startShipStationAPI(t)
	body := `{"resource_url":"` + srv.URL + `/shipments?batchId=9","resource_type":"SHIP_NOTIFY"}`
	for i, want := range []string{`{"created":true}`, `{"created":false}`} {
		resp, err := http.Post(srv.URL+ShipStationCreatePath, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(got)) != want {
			t.Errorf("post %d: %d %s, want %s", i, resp.StatusCode, got, want)
		}
	}
	if api.Created("/shipments") != 1 {
		t.Errorf("Created = %d", api.Created("/shipments"))
	}
	resp, err := http.Post(srv.URL+ShipStationCreatePath, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("empty body: %d", resp.StatusCode)
	}
}
