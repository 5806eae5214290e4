package subscriptions

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// exercise runs create, list, (update,) delete and the error cases of one
// client against a sandbox.
func exercise(t *testing.T, api, wrongAuth API, event string) {
	t.Helper()
	ctx := context.Background()
	w := Want{Event: event, URL: "https://hooks.example.com/webhooks/x?token=t", Version: "v20260301"}
	id, err := api.Create(ctx, w)
	if err != nil || id == "" {
		t.Fatalf("Create: %q %v", id, err)
	}
	subs, err := api.List(ctx)
	if err != nil || len(subs) != 1 || subs[0].ID != id || subs[0].Event != event || subs[0].URL != w.URL {
		t.Fatalf("List: %+v %v", subs, err)
	}
	if u, ok := api.(Updater); ok {
		if err := u.Update(ctx, subs[0], "https://hooks.example.com/moved"); err != nil {
			t.Fatal(err)
		}
		if subs, _ := api.List(ctx); subs[0].URL != "https://hooks.example.com/moved" {
			t.Errorf("after Update: %+v", subs)
		}
		if err := u.Update(ctx, Subscription{ID: "404404"}, "https://x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Update of an unknown id: %v", err)
		}
	}
	if err := api.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := api.Delete(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	if subs, err := api.List(ctx); err != nil || len(subs) != 0 {
		t.Errorf("List after Delete: %+v %v", subs, err)
	}
	var apiErr *APIError
	if _, err := wrongAuth.List(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("wrong credentials: %v, want a 401", err)
	}
}

func TestClientsAgainstSandboxes(t *testing.T) {
	mux := http.NewServeMux()
	sandbox.NewShipStationWebhooks([]sandbox.ShipStationKey{{Key: "k", Secret: "s"}}, "v2key").Register(mux)
	ss := httptest.NewServer(mux)
	defer ss.Close()
	sl := httptest.NewServer(sandbox.NewShoplineAPI("bearer"))
	defer sl.Close()

	t.Run("shipstation v1", func(t *testing.T) {
		exercise(t, NewShipStationV1(ss.URL, "k", "s", nil), NewShipStationV1(ss.URL, "k", "wrong", nil), "SHIP_NOTIFY")
	})
	t.Run("shipstation v2", func(t *testing.T) {
		exercise(t, NewShipStationV2(ss.URL, "v2key", nil), NewShipStationV2(ss.URL, "wrong", nil), "track_event_v2")
	})
	t.Run("shopline", func(t *testing.T) {
		exercise(t, NewShopline(sl.URL, "v20260301", "bearer", nil), NewShopline(sl.URL, "v20260301", "wrong", nil), "orders/create")
	})
	t.Run("v1 store", func(t *testing.T) {
		api := NewShipStationV1(ss.URL, "k", "s", nil)
		if _, err := api.Create(context.Background(), Want{Event: "ORDER_NOTIFY", URL: "https://h/x", StoreID: "42"}); err != nil {
			t.Fatal(err)
		}
		subs, _ := api.List(context.Background())
		if len(subs) != 1 || subs[0].StoreID != "42" {
			t.Errorf("store: %+v", subs)
		}
	})
}

// V1's list may be a bare array, and its subscribe answer may name the id
// WebHookID.
func TestShipStationV1AnswerShapes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.Method {
		case http.MethodGet:
			w.Write([]byte(`[{"WebHookID":12,"StoreID":null,"HookType":"SHIP_NOTIFY","Url":"https://h/x","Name":"n","Active":true}]`))
		case http.MethodPost:
			w.Write([]byte(`{"WebHookID":13}`))
		}
	}))
	defer srv.Close()
	api := NewShipStationV1(srv.URL, "k", "s", nil)
	subs, err := api.List(context.Background())
	if err != nil || len(subs) != 1 || subs[0].ID != "12" || subs[0].StoreID != "" || subs[0].Event != "SHIP_NOTIFY" {
		t.Errorf("bare array: %+v %v", subs, err)
	}
	if id, err := api.Create(context.Background(), Want{Event: "SHIP_NOTIFY", URL: "https://h/x"}); err != nil || id != "13" {
		t.Errorf("WebHookID answer: %q %v", id, err)
	}
}

// A 429 is waited out as the answer says, on SHOPLINE's leaky bucket.
func TestRetriesAfter429(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	api := sandbox.NewShoplineAPI("bearer")
	api.SetClock(clock)
	api.SetRateLimit(2, 4)
	srv := httptest.NewServer(api)
	defer srv.Close()
	c := NewShopline(srv.URL, "v20260301", "bearer", nil)
	var waits []time.Duration
	c.c.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		now = now.Add(d)
		return nil
	}
	for i := range 3 {
		if _, err := c.List(context.Background()); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
	}
	if !slices.Equal(waits, []time.Duration{defaultRetryWait}) {
		t.Errorf("waits %v, want one of %v", waits, defaultRetryWait)
	}
	c.c.sleep = func(context.Context, time.Duration) error { return nil } // the clock stands still: always 429
	var err error
	for i := 0; i < 3 && err == nil; i++ { // the bucket holds 2
		_, err = c.List(context.Background())
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.Message != "Too many request" {
		t.Errorf("with a full bucket that never drains: %v, want the 429 after %d attempts", err, maxAttempts)
	}
}

// hookstream subscribes at V1 to exactly V1's six events, and every V2
// webhook the catalog stores maps to an event V2's API accepts.
func TestEvents(t *testing.T) {
	if got := ShipStationV1Events(); !slices.Equal(got, shipstation.V1WebhookEvents) {
		t.Errorf("V1 events %v, want %v", got, shipstation.V1WebhookEvents)
	}
	v2, err := ShipStationV2Events()
	if err != nil || len(v2) == 0 {
		t.Fatalf("V2 events %v: %v", v2, err)
	}
	for _, e := range v2 {
		if !slices.Contains(shipstation.V2WebhookEvents, e) {
			t.Errorf("V2 event %q is not one V2 accepts", e)
		}
	}
	if !slices.Contains(v2, "track_event_v2") || !slices.Contains(v2, "fulfillment_shipped_v2") {
		t.Errorf("V2 events %v lack the tracking and fulfillment events", v2)
	}
	if len(ShoplineTopics()) == 0 || !slices.Contains(ShoplineTopics(), "fulfillment_order/on_hold") {
		t.Errorf("SHOPLINE topics %v", ShoplineTopics())
	}
	if _, err := shipStationV2Event("NO_SUCH_V2"); err == nil {
		t.Error("an unknown V2 resource type mapped to an event")
	}
}
