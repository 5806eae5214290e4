package subscriptions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const target = "https://hooks.example.com/webhooks/shipstation?token=new"

func ours(u string) bool { return SameEndpoint(u, target) }

func TestCompare(t *testing.T) {
	want := []Want{{Event: "ORDER_NOTIFY", URL: target}, {Event: "SHIP_NOTIFY", URL: target}, {Event: "SHIP_NOTIFY", URL: target, StoreID: "7"}}
	for _, tc := range []struct {
		name                               string
		have                               []Subscription
		ok, missing, wrong, extra, foreign int
	}{
		{name: "nothing", missing: 3},
		{name: "all in place", ok: 3, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: target}, {ID: "2", Event: "SHIP_NOTIFY", URL: target}, {ID: "3", Event: "SHIP_NOTIFY", URL: target, StoreID: "7"}}},
		{name: "old token is wrong", ok: 0, wrong: 1, missing: 2, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: "https://hooks.example.com/webhooks/shipstation?token=old"}}},
		{name: "duplicate and stale are extra", ok: 1, missing: 2, extra: 2, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: target}, {ID: "2", Event: "ORDER_NOTIFY", URL: target},
			{ID: "3", Event: "ORDER_NOTIFY", URL: "https://hooks.example.com/webhooks/shipstation?token=old"}}},
		{name: "another store's is extra", missing: 3, extra: 1, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: target, StoreID: "9"}}},
		{name: "other hosts and paths are foreign", missing: 3, foreign: 3, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: "https://erp.example/webhooks/shipstation?token=new"},
			{ID: "2", Event: "ORDER_NOTIFY", URL: "https://hooks.example.com/other"},
			{ID: "3", Event: "ORDER_NOTIFY", URL: "http://hooks.example.com/webhooks/shipstation?token=new"}}},
		{name: "host case does not matter", ok: 1, missing: 2, have: []Subscription{
			{ID: "1", Event: "ORDER_NOTIFY", URL: "https://HOOKS.example.com/webhooks/shipstation?token=new"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Compare(want, tc.have, ours)
			got := []int{len(p.OK), len(p.Missing), len(p.Wrong), len(p.Extra), len(p.Foreign)}
			if w := []int{tc.ok, tc.missing, tc.wrong, tc.extra, tc.foreign}; !slices.Equal(got, w) {
				t.Errorf("ok, missing, wrong, extra, foreign = %v, want %v", got, w)
			}
			if p.Healthy() != (tc.missing == 0 && tc.wrong == 0) {
				t.Errorf("Healthy() = %v", p.Healthy())
			}
		})
	}
}

func TestCompareVersion(t *testing.T) {
	w := []Want{{Event: "orders/create", URL: "https://h/webhooks/shopline", Version: "v20260301"}}
	p := Compare(w, []Subscription{{ID: "1", Event: "orders/create", URL: "https://h/webhooks/shopline", Version: "v20240601"}},
		func(u string) bool { return SameEndpoint(u, "https://h/webhooks/shopline") })
	if len(p.Wrong) != 1 {
		t.Fatalf("an old api_version is not wrong: %+v", p)
	}
}

// fakeAPI records calls; Update only when updates is set.
type fakeAPI struct {
	subs  []Subscription
	calls []string
	next  int
}

func (f *fakeAPI) List(context.Context) ([]Subscription, error) { return slices.Clone(f.subs), nil }
func (f *fakeAPI) Create(_ context.Context, w Want) (string, error) {
	f.next++
	id := fmt.Sprint("n", f.next)
	f.subs = append(f.subs, Subscription{ID: id, Event: w.Event, URL: w.URL, StoreID: w.StoreID, Version: w.Version})
	f.calls = append(f.calls, "create "+w.Event)
	return id, nil
}
func (f *fakeAPI) Delete(_ context.Context, id string) error {
	i := slices.IndexFunc(f.subs, func(s Subscription) bool { return s.ID == id })
	if i < 0 {
		return &APIError{Status: 404}
	}
	f.subs = slices.Delete(f.subs, i, i+1)
	f.calls = append(f.calls, "delete "+id)
	return nil
}

type fakeUpdater struct{ *fakeAPI }

func (f fakeUpdater) Update(_ context.Context, s Subscription, u string) error {
	for i := range f.subs {
		if f.subs[i].ID == s.ID {
			f.subs[i].URL = u
		}
	}
	f.calls = append(f.calls, "update "+s.ID)
	return nil
}

// Apply converges: a wrong one is replaced (created before deleted) or
// updated in place, extras go, foreign ones stay, and a second Apply on a
// fresh listing does nothing.
func TestApply(t *testing.T) {
	want := []Want{{Event: "ORDER_NOTIFY", URL: target}, {Event: "SHIP_NOTIFY", URL: target}}
	start := []Subscription{
		{ID: "w", Event: "ORDER_NOTIFY", URL: "https://hooks.example.com/webhooks/shipstation?token=old"},
		{ID: "x", Event: "FULFILLMENT_SHIPPED", URL: target},
		{ID: "f", Event: "SHIP_NOTIFY", URL: "https://erp.example/hook"},
	}
	for name, api := range map[string]interface {
		API
		log() []string
	}{"replace": plain{&fakeAPI{subs: slices.Clone(start)}}, "update": fakeUpdater{&fakeAPI{subs: slices.Clone(start)}}} {
		t.Run(name, func(t *testing.T) {
			have, _ := api.List(context.Background())
			if _, err := Apply(context.Background(), api, Compare(want, have, ours)); err != nil {
				t.Fatal(err)
			}
			calls := strings.Join(api.log(), ", ")
			wantCalls := map[string]string{
				"replace": "create SHIP_NOTIFY, create ORDER_NOTIFY, delete w, delete x",
				"update":  "create SHIP_NOTIFY, update w, delete x",
			}[name]
			if calls != wantCalls {
				t.Errorf("calls %q, want %q", calls, wantCalls)
			}
			have, _ = api.List(context.Background())
			p := Compare(want, have, ours)
			if len(p.OK) != 2 || !p.Healthy() || len(p.Extra) != 0 || len(p.Foreign) != 1 {
				t.Errorf("after Apply: %+v", p)
			}
			n := len(api.log())
			if _, err := Apply(context.Background(), api, p); err != nil || len(api.log()) != n {
				t.Errorf("a second Apply called %v (%v)", api.log()[n:], err)
			}
			changes, err := Remove(context.Background(), api, have, ours)
			if err != nil || len(changes) != 2 {
				t.Errorf("Remove: %v %v", changes, err)
			}
			if left, _ := api.List(context.Background()); len(left) != 1 || left[0].ID != "f" {
				t.Errorf("Remove left %+v", left)
			}
		})
	}
}

type plain struct{ *fakeAPI }

func (p plain) log() []string       { return p.calls }
func (f fakeUpdater) log() []string { return f.calls }

func TestNotFoundIs404(t *testing.T) {
	if !errors.Is(&APIError{Status: 404}, ErrNotFound) || errors.Is(&APIError{Status: 401}, ErrNotFound) {
		t.Error("ErrNotFound must match exactly the 404s")
	}
}
