package subscriptions

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// Plan is what a provider lists, sorted against what hookstream wants.
type Plan struct {
	// OK are ours, as wanted.
	OK []Subscription
	// Missing are wanted and absent.
	Missing []Want
	// Wrong are ours for a wanted event and store at another URL (an old
	// token, a moved gateway path's query) or payload version.
	Wrong []Repair
	// Extra are ours and not wanted: duplicates, other stores, events
	// hookstream no longer subscribes.
	Extra []Subscription
	// Foreign belong to other systems; nothing here touches them.
	Foreign []Subscription
}

// Repair is a wrong subscription and what it should be.
type Repair struct {
	Have Subscription
	Want Want
}

// Healthy reports whether nothing is missing or wrong (extras are
// reported, but deliver to the gateway all the same).
func (p Plan) Healthy() bool { return len(p.Missing) == 0 && len(p.Wrong) == 0 }

// Compare sorts have against want. ours says whether a URL is the
// gateway's (see SameEndpoint). For each wanted event and store the first
// exact subscription is OK and any other of ours is Extra; without an exact
// one the first of ours is Wrong; without any, the want is Missing.
func Compare(want []Want, have []Subscription, ours func(url string) bool) Plan {
	var p Plan
	used := make([]bool, len(have))
	for _, w := range want {
		exact, mine := -1, -1
		for i, s := range have {
			if used[i] || s.Event != w.Event || s.StoreID != w.StoreID || !ours(s.URL) {
				continue
			}
			if exact < 0 && SameURL(s.URL, w.URL) && (w.Version == "" || s.Version == w.Version) {
				exact = i
			} else if mine < 0 {
				mine = i
			}
		}
		switch {
		case exact >= 0:
			used[exact] = true
			p.OK = append(p.OK, have[exact])
		case mine >= 0:
			used[mine] = true
			p.Wrong = append(p.Wrong, Repair{Have: have[mine], Want: w})
		default:
			p.Missing = append(p.Missing, w)
		}
	}
	for i, s := range have {
		switch {
		case used[i]:
		case ours(s.URL):
			p.Extra = append(p.Extra, s)
		default:
			p.Foreign = append(p.Foreign, s)
		}
	}
	slices.SortStableFunc(p.Foreign, func(a, b Subscription) int { return cmp.Compare(a.Event, b.Event) })
	return p
}

// Change is one call Apply or Remove made, for the report.
type Change struct {
	// Action is "created", "updated", "replaced" or "deleted".
	Action string
	// Event, StoreID and URL describe the subscription after the change
	// (before it, for a deletion).
	Event, StoreID, URL string
	// ID is the provider's id of the subscription created, updated or
	// deleted.
	ID string
}

// Apply makes ours exactly the wanted set: it creates what is missing,
// repairs what is wrong (in place where the API is an Updater and the
// payload version is right, else by creating the right one before deleting
// the wrong one, so deliveries never stop) and deletes the extras. It goes
// on after an error and returns every change made and every error, joined.
func Apply(ctx context.Context, api API, p Plan) ([]Change, error) {
	var changes []Change
	var errs []error
	create := func(w Want) bool {
		id, err := api.Create(ctx, w)
		if err != nil {
			errs = append(errs, fmt.Errorf("subscribe %s: %w", w.Event, err))
			return false
		}
		changes = append(changes, Change{Action: "created", Event: w.Event, StoreID: w.StoreID, URL: w.URL, ID: id})
		return true
	}
	del := func(s Subscription, action string) {
		if err := api.Delete(ctx, s.ID); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete %s (%s): %w", s.Event, s.ID, err))
			return
		}
		changes = append(changes, Change{Action: action, Event: s.Event, StoreID: s.StoreID, URL: s.URL, ID: s.ID})
	}
	for _, w := range p.Missing {
		create(w)
	}
	for _, r := range p.Wrong {
		if u, ok := api.(Updater); ok && (r.Want.Version == "" || r.Have.Version == r.Want.Version) {
			if err := u.Update(ctx, r.Have, r.Want.URL); err != nil {
				errs = append(errs, fmt.Errorf("update %s (%s): %w", r.Have.Event, r.Have.ID, err))
				continue
			}
			changes = append(changes, Change{Action: "updated", Event: r.Want.Event, StoreID: r.Want.StoreID, URL: r.Want.URL, ID: r.Have.ID})
			continue
		}
		if create(r.Want) {
			del(r.Have, "replaced")
		}
	}
	for _, s := range p.Extra {
		del(s, "deleted")
	}
	return changes, errors.Join(errs...)
}

// Remove deletes every subscription of ours in have, leaving the others.
func Remove(ctx context.Context, api API, have []Subscription, ours func(url string) bool) ([]Change, error) {
	var changes []Change
	var errs []error
	for _, s := range have {
		if !ours(s.URL) {
			continue
		}
		if err := api.Delete(ctx, s.ID); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("delete %s (%s): %w", s.Event, s.ID, err))
			continue
		}
		changes = append(changes, Change{Action: "deleted", Event: s.Event, StoreID: s.StoreID, URL: s.URL, ID: s.ID})
	}
	return changes, errors.Join(errs...)
}
