package main

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/schemas"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// TestAsyncAPISourcesAreTheServices: the ce-source values the AsyncAPI
// document promises for canonical events are the Source constants the
// three services publish with (the schemas module cannot import them).
func TestAsyncAPISourcesAreTheServices(t *testing.T) {
	raw, err := fs.ReadFile(schemas.FS, schemas.AsyncAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Canonical struct {
					Properties struct {
						Source struct {
							Pattern string `json:"pattern"`
						} `json:"ce-source"`
					} `json:"properties"`
				} `json:"CanonicalEventHeaders"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// The pattern is ^(<source>|<source>|<source>)(/accounts/<account>)?$.
	pattern := doc.Components.Schemas.Canonical.Properties.Source.Pattern
	services, _, _ := strings.Cut(strings.TrimPrefix(pattern, "^("), ")")
	got := strings.Split(services, "|")
	want := []string{orderenricher.Source, shipmenttracker.Source, fulfillmentholds.Source}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s says ce-source begins with one of %v; the services publish as %v", schemas.AsyncAPIFile, got, want)
	}
}
