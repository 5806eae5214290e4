package sandbox

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
)

// Paths of ShipStation's webhook-management endpoints, served beside the
// V1 API sandbox (V1 at ssapi.shipstation.com, V2 at api.shipstation.com;
// their paths do not collide).
const (
	ShipStationV1WebhooksPath = "/webhooks"
	ShipStationV2WebhooksPath = "/v2/environment/webhooks"
)

// ShipStationWebhooks is a SANDBOX imitation of ShipStation's webhook
// subscriptions, V1 and V2, for tests and `hookstream dev`:
//
//	GET    /webhooks                       V1: {"webhooks":[{WebHookID, StoreID, HookType, Url, Name, Active, …}]}
//	POST   /webhooks/subscribe             V1: {target_url, event, store_id?, friendly_name?} → {"id": n}
//	DELETE /webhooks/{id}                  V1: 200, no body
//	GET    /v2/environment/webhooks        V2: [{webhook_id, url, event, headers, name, store_id}]
//	POST   /v2/environment/webhooks        V2: {name, event, url, headers?, store_id?} → 201, the webhook
//	GET|PUT|DELETE /v2/environment/webhooks/{id}   PUT {name, url, headers?} and DELETE → 204
//
// V1 wants HTTP Basic credentials of a configured key (else 401
// {"message":"Unauthorized"}), V2 a configured api-key header (else 401).
// Subscriptions are kept per key, as per account; an unknown id is 404, an
// unknown event or a missing URL 400. Like the real APIs it makes a
// duplicate when asked twice. It keeps no rate limit (the V1 API sandbox
// does). Every answer has X-Hookstream-Sandbox: shipstation. Safe for
// concurrent use.
type ShipStationWebhooks struct {
	mu     sync.Mutex
	v1Keys map[string]string // key → secret
	v2Keys []string
	hooks  map[string][]ssHook // "v1:<key>" or "v2:<key>" → subscriptions
	nextID int
}

// ssHook is one stored subscription.
type ssHook struct {
	id      int
	event   string
	url     string
	name    string
	storeID *int64
	headers []ssHeader
}

type ssHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NewShipStationWebhooks returns a sandbox accepting these V1 keys and V2
// api keys.
func NewShipStationWebhooks(v1 []ShipStationKey, v2 ...string) *ShipStationWebhooks {
	s := &ShipStationWebhooks{v1Keys: map[string]string{}, v2Keys: v2, hooks: map[string][]ssHook{}, nextID: 7000}
	for _, k := range v1 {
		s.v1Keys[k.Key] = k.Secret
	}
	return s
}

// Register adds the sandbox's routes to mux.
func (s *ShipStationWebhooks) Register(mux *http.ServeMux) {
	s.RegisterV1(mux)
	s.RegisterV2(mux)
}

// RegisterV1 adds V1's webhook endpoints (/webhooks…) to mux.
func (s *ShipStationWebhooks) RegisterV1(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ShipStationV1WebhooksPath, s.v1(s.v1List))
	mux.HandleFunc("POST "+ShipStationV1WebhooksPath+"/subscribe", s.v1(s.v1Subscribe))
	mux.HandleFunc("DELETE "+ShipStationV1WebhooksPath+"/{id}", s.v1(s.v1Delete))
}

// RegisterV2 adds V2's webhook endpoints (/v2/environment/webhooks…) to
// mux.
func (s *ShipStationWebhooks) RegisterV2(mux *http.ServeMux) {
	mux.HandleFunc("GET "+ShipStationV2WebhooksPath, s.v2(s.v2List))
	mux.HandleFunc("POST "+ShipStationV2WebhooksPath, s.v2(s.v2Create))
	mux.HandleFunc("GET "+ShipStationV2WebhooksPath+"/{id}", s.v2(s.v2Get))
	mux.HandleFunc("PUT "+ShipStationV2WebhooksPath+"/{id}", s.v2(s.v2Update))
	mux.HandleFunc("DELETE "+ShipStationV2WebhooksPath+"/{id}", s.v2(s.v2Delete))
}

// ssHandler serves one endpoint for the authenticated account, with the
// sandbox locked.
type ssHandler func(w http.ResponseWriter, r *http.Request, account string)

// v1 authenticates V1's Basic credentials.
func (s *ShipStationWebhooks) v1(h ssHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderSandbox, "shipstation")
		user, pass, ok := r.BasicAuth()
		s.mu.Lock()
		defer s.mu.Unlock()
		secret, known := s.v1Keys[user]
		if !ok || !known || subtle.ConstantTimeCompare([]byte(pass), []byte(secret)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
			return
		}
		h(w, r, "v1:"+user)
	}
}

// v2 authenticates V2's api-key header.
func (s *ShipStationWebhooks) v2(h ssHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderSandbox, "shipstation")
		key := r.Header.Get("api-key")
		s.mu.Lock()
		defer s.mu.Unlock()
		if key == "" || !slices.ContainsFunc(s.v2Keys, func(k string) bool { return subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 }) {
			v2Error(w, http.StatusUnauthorized, "security", "unauthorized", "The API key is invalid. Please see https://www.shipengine.com/docs/auth")
			return
		}
		h(w, r, "v2:"+key)
	}
}

func (s *ShipStationWebhooks) v1List(w http.ResponseWriter, _ *http.Request, account string) {
	items := []map[string]any{}
	for _, h := range s.hooks[account] {
		items = append(items, map[string]any{
			"IsLabelAPIHook": false, "WebHookID": h.id, "SellerID": 1, "StoreID": h.storeID,
			"HookType": h.event, "MessageFormat": "Json", "Url": h.url, "Name": h.name,
			"BulkCopyBatchID": nil, "BulkCopyRecordID": nil, "Active": true, "WebhookLogs": []any{},
			"Seller": nil, "Store": nil,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": items})
}

func (s *ShipStationWebhooks) v1Subscribe(w http.ResponseWriter, r *http.Request, account string) {
	var in struct {
		TargetURL    string `json:"target_url"`
		Event        string `json:"event"`
		StoreID      *int64 `json:"store_id"`
		FriendlyName string `json:"friendly_name"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || in.TargetURL == "" ||
		!slices.Contains(shipstation.V1WebhookEvents, in.Event) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request is invalid."})
		return
	}
	s.nextID++
	s.hooks[account] = append(s.hooks[account], ssHook{id: s.nextID, event: in.Event, url: in.TargetURL, name: in.FriendlyName, storeID: in.StoreID})
	writeJSON(w, http.StatusCreated, map[string]int{"id": s.nextID})
}

func (s *ShipStationWebhooks) v1Delete(w http.ResponseWriter, r *http.Request, account string) {
	if !s.remove(account, r.PathValue("id"), "") {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No webhook found with ID " + r.PathValue("id")})
		return
	}
	w.WriteHeader(http.StatusOK)
}

// v2JSON renders a hook as V2 does.
func v2JSON(h ssHook) map[string]any {
	headers := h.headers
	if headers == nil {
		headers = []ssHeader{}
	}
	return map[string]any{"webhook_id": "se-" + strconv.Itoa(h.id), "url": h.url, "event": h.event, "headers": headers, "name": h.name, "store_id": h.storeID}
}

func (s *ShipStationWebhooks) v2List(w http.ResponseWriter, _ *http.Request, account string) {
	items := []map[string]any{}
	for _, h := range s.hooks[account] {
		items = append(items, v2JSON(h))
	}
	writeJSON(w, http.StatusOK, items)
}

// v2Body is the body of V2's POST and PUT.
type v2Body struct {
	Name    string     `json:"name"`
	Event   string     `json:"event"`
	URL     string     `json:"url"`
	Headers []ssHeader `json:"headers"`
	StoreID *int64     `json:"store_id"`
}

func decodeV2Body(w http.ResponseWriter, r *http.Request) (v2Body, bool) {
	var in v2Body
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil || in.URL == "" {
		v2Error(w, http.StatusBadRequest, "validation", "invalid_field_value", "url is required")
		return in, false
	}
	return in, true
}

func (s *ShipStationWebhooks) v2Create(w http.ResponseWriter, r *http.Request, account string) {
	in, ok := decodeV2Body(w, r)
	if !ok {
		return
	}
	if !slices.Contains(shipstation.V2WebhookEvents, in.Event) {
		v2Error(w, http.StatusBadRequest, "validation", "invalid_field_value", "event must be one of the webhook events")
		return
	}
	s.nextID++
	h := ssHook{id: s.nextID, event: in.Event, url: in.URL, name: in.Name, storeID: in.StoreID, headers: in.Headers}
	s.hooks[account] = append(s.hooks[account], h)
	writeJSON(w, http.StatusCreated, v2JSON(h))
}

func (s *ShipStationWebhooks) v2Get(w http.ResponseWriter, r *http.Request, account string) {
	if i := s.find(account, r.PathValue("id"), "se-"); i >= 0 {
		writeJSON(w, http.StatusOK, v2JSON(s.hooks[account][i]))
		return
	}
	v2Error(w, http.StatusNotFound, "business_rules", "not_found", "webhook not found")
}

func (s *ShipStationWebhooks) v2Update(w http.ResponseWriter, r *http.Request, account string) {
	i := s.find(account, r.PathValue("id"), "se-")
	if i < 0 {
		v2Error(w, http.StatusNotFound, "business_rules", "not_found", "webhook not found")
		return
	}
	in, ok := decodeV2Body(w, r)
	if !ok {
		return
	}
	h := &s.hooks[account][i]
	h.url, h.name = in.URL, in.Name
	if in.Headers != nil {
		h.headers = in.Headers
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *ShipStationWebhooks) v2Delete(w http.ResponseWriter, r *http.Request, account string) {
	if !s.remove(account, r.PathValue("id"), "se-") {
		v2Error(w, http.StatusNotFound, "business_rules", "not_found", "webhook not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// find returns the index of the account's hook whose id (after prefix)
// is id, or -1.
func (s *ShipStationWebhooks) find(account, id, prefix string) int {
	for i, h := range s.hooks[account] {
		if prefix+strconv.Itoa(h.id) == id {
			return i
		}
	}
	return -1
}

func (s *ShipStationWebhooks) remove(account, id, prefix string) bool {
	i := s.find(account, id, prefix)
	if i >= 0 {
		s.hooks[account] = slices.Delete(s.hooks[account], i, i+1)
	}
	return i >= 0
}
