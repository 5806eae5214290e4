package model_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/model"
)

// The normalisers read provider payloads, which come from outside: for any
// input they return an error or a record that passes its canonical rules
// (Validate), and never panic. The seeds are the real payloads under
// testdata/.

// seed adds every file matching pattern under testdata/ to f's corpus.
func seed(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pattern := range patterns {
		files, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil || len(files) == 0 {
			f.Fatalf("no seed matches %s: %v", pattern, err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id": null}`))
}

var fuzzTime = time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC)

func FuzzFromSnipcartOrder(f *testing.F) {
	seed(f, "snipcart/order.completed.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var env struct {
			Content json.RawMessage `json:"content"`
		}
		content := json.RawMessage(body)
		if json.Unmarshal(body, &env) == nil && len(env.Content) > 0 {
			content = env.Content
		}
		o, err := model.FromSnipcartOrder(content, "Live", fuzzTime)
		if err == nil {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("accepted an order that breaks the canonical rules: %v", verr)
			}
		}
	})
}

func FuzzFromSnipcartTracking(f *testing.F) {
	seed(f, "shipment.snipcart.tracking_number.changed.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		if sh, err := model.FromSnipcartTracking(body); err == nil {
			if verr := sh.Validate(); verr != nil {
				t.Fatalf("accepted a shipment that breaks the canonical rules: %v", verr)
			}
		}
	})
}

func FuzzFromShoplineOrder(f *testing.F) {
	seed(f, "shopline/order.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		if o, err := model.FromShoplineOrder(body, "1610418123456"); err == nil {
			if verr := o.Validate(); verr != nil {
				t.Fatalf("accepted an order that breaks the canonical rules: %v", verr)
			}
		}
	})
}

func FuzzFromShoplineFulfillment(f *testing.F) {
	seed(f, "shopline/fulfillment.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		if sh, err := model.FromShoplineFulfillment(body, "1610418123456"); err == nil {
			if verr := sh.Validate(); verr != nil {
				t.Fatalf("accepted a shipment that breaks the canonical rules: %v", verr)
			}
		}
	})
}

func FuzzFromShoplineFulfillmentOrder(f *testing.F) {
	seed(f, "hold/shopline/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		if h, err := model.FromShoplineFulfillmentOrder(body, "1610418123456", fuzzTime); err == nil {
			if verr := h.Validate(); verr != nil {
				t.Fatalf("accepted a hold record that breaks the canonical rules: %v", verr)
			}
		}
	})
}
