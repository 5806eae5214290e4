package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// The sandbox's record of created batches: what lets its list endpoints
// answer date-filtered queries (modifyDateStart, createDateEnd, …) the way
// ShipStation answers a reconciler, including for batches whose webhook was
// never delivered.

// ShipStationCreatePath is the sandbox-only route that records a batch as
// created now: POST it a V1 webhook body ({"resource_url": …,
// "resource_type": …}); the answer is {"created": true} (false when the
// batch was recorded before, which keeps its first time). Like every sandbox
// route it is served on loopback only and needs no credentials.
const ShipStationCreatePath = "/sandbox/batches"

// maxRecords bounds the record; beyond it the oldest batches are forgotten.
const maxRecords = 100_000

// ssRecord is one created batch: its collection, the query that names it
// and when it was created.
type ssRecord struct {
	coll  int
	name  string
	query url.Values
	at    time.Time
}

// ssFilters are the date filters each collection accepts, as the field of
// its items they select on.
var ssFilters = [ssCollections][]string{
	ssOrders:       {"modifyDate"},
	ssShipments:    {"createDate", "voidDate"},
	ssFulfillments: {"createDate"},
}

// Create records the batch a V1 resource_url names (path /orders,
// /shipments or /fulfillments; its batch parameter, storeID and the rest as
// in a GET) as created at the sandbox's clock now, and reports whether it
// was new. From then on the batch's items carry that time: an order's
// modifyDate, a label's or a fulfillment's createDate (and a voided label's
// voidDate) are the creation instant, whether the batch is fetched by its
// resource_url or found by a date-filtered list. A batch never recorded
// keeps its invented 2025 dates and is never listed.
func (s *ShipStationAPI) Create(resourceURL string) (bool, error) {
	u, err := url.Parse(resourceURL)
	if err != nil {
		return false, err
	}
	coll := collectionOf(u.Path)
	if coll < 0 {
		return false, &url.Error{Op: "create", URL: resourceURL, Err: errNotACollection}
	}
	q := batchQuery(u.Query())
	name := batchName(coll, q)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.created[coll] == nil {
		s.created[coll] = map[string]int{}
	}
	if _, dup := s.created[coll][name]; dup {
		return false, nil
	}
	if len(s.records) >= maxRecords {
		old := s.records[0]
		delete(s.created[old.coll], old.name)
		s.records = s.records[1:]
		for c := range s.created {
			for n, i := range s.created[c] {
				s.created[c][n] = i - 1
			}
		}
	}
	s.created[coll][name] = len(s.records)
	s.records = append(s.records, ssRecord{coll: coll, name: name, query: q, at: s.now().UTC().Truncate(100 * time.Nanosecond)})
	return true, nil
}

// Created returns how many batches of collection path ("/orders") are
// recorded.
func (s *ShipStationAPI) Created(path string) int {
	coll := collectionOf(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if coll < 0 {
		return 0
	}
	return len(s.created[coll])
}

type sandboxError string

func (e sandboxError) Error() string { return string(e) }

const errNotACollection = sandboxError("sandbox: not /orders, /shipments or /fulfillments")

func collectionOf(path string) int {
	for i, c := range ssCollection {
		if path == c.path {
			return i
		}
	}
	return -1
}

// batchQuery is q without the parameters that do not change which batch
// it is (paging, items).
func batchQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		switch strings.ToLower(k) {
		case "page", "pagesize", "includeorderitems", "includeshipmentitems":
		default:
			out[k] = v
		}
	}
	return out
}

// recordedLocked returns when the batch q names was created, or zero.
func (s *ShipStationAPI) recordedLocked(coll int, q url.Values) time.Time {
	i, ok := s.created[coll][batchName(coll, q)]
	if !ok {
		return time.Time{}
	}
	return s.records[i].at
}

// dateFilter is one <field>Start/<field>End pair of a list query.
type dateFilter struct {
	field      string
	start, end time.Time // zero: open
}

// dateFilters reads the date filters of q for coll. ok is false when a
// filter is not a Pacific "YYYY-MM-DD HH:MM:SS" time; filtered is false when
// q has none.
func dateFilters(coll int, q url.Values) (fs []dateFilter, filtered, ok bool) {
	for _, field := range ssFilters[coll] {
		f := dateFilter{field: field}
		for _, end := range []struct {
			suffix string
			into   *time.Time
		}{{"Start", &f.start}, {"End", &f.end}} {
			v := queryParam(q, field+end.suffix)
			if v == "" {
				continue
			}
			t, err := time.ParseInLocation(shipstation.FilterLayout, v, shipstation.Pacific)
			if err != nil {
				return nil, false, false
			}
			*end.into = t
		}
		if !f.start.IsZero() || !f.end.IsZero() {
			fs = append(fs, f)
		}
	}
	return fs, len(fs) > 0, true
}

// matches reports whether t, read to the second as ShipStation does, is
// within f (both ends inclusive). A zero t (an unset date) never matches.
func (f dateFilter) matches(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	t = t.Truncate(time.Second)
	return (f.start.IsZero() || !t.Before(f.start)) && (f.end.IsZero() || !t.After(f.end))
}

// listRecorded returns every item of every recorded batch of coll that
// matches all filters, oldest batch first; withItems is the listing's
// includeShipmentItems.
func (s *ShipStationAPI) listRecorded(coll int, filters []dateFilter, withItems bool) []any {
	s.mu.Lock()
	records := slices.Clone(s.records)
	sizes := s.sizes[coll]
	voidOneIn := s.voidOneIn
	type sized struct {
		n  int
		ok bool
	}
	batchSizes := map[string]sized{}
	for _, r := range records {
		if r.coll == coll {
			n, ok := sizes[r.name]
			batchSizes[r.name] = sized{n, ok}
		}
	}
	s.mu.Unlock()

	var out []any
	for _, r := range records {
		if r.coll != coll {
			continue
		}
		b := newSSBatch(coll, r.query)
		b.at, b.voidOneIn, b.withItems = r.at, voidOneIn, withItems
		if sz := batchSizes[r.name]; sz.ok {
			b.size = sz.n
		}
		for i := range b.size {
			item := b.item(i)
			if matchesAll(item, filters) {
				out = append(out, item)
			}
		}
	}
	return out
}

// matchesAll reports whether item's dates are within every filter.
func matchesAll(item any, filters []dateFilter) bool {
	for _, f := range filters {
		var raw *string
		switch it := item.(type) {
		case ssOrder:
			raw = &it.ModifyDate
		case ssShipment:
			if f.field == "voidDate" {
				raw = it.VoidDate
			} else {
				raw = &it.CreateDate
			}
		case ssFulfillment:
			raw = &it.CreateDate
		}
		if raw == nil {
			return false
		}
		t, err := shipstation.ParsePacificTime(*raw)
		if err != nil || !f.matches(t.Time) {
			return false
		}
	}
	return true
}

// serveCreate is POST ShipStationCreatePath.
func (s *ShipStationAPI) serveCreate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "POST a V1 webhook body"})
		return
	}
	var hook struct {
		ResourceURL string `json:"resource_url"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&hook); err != nil || hook.ResourceURL == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want {\"resource_url\": …}"})
		return
	}
	created, err := s.Create(hook.ResourceURL)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"created": created})
}
