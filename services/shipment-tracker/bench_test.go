package shipmenttracker_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer/consumertest"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/pkg/state"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// BenchmarkShipments measures the whole service: b.N labels, in SHIP_NOTIFY
// webhooks of batch labels each, are put in WEBHOOKS first; the timer runs
// from starting the service until its consumer has acknowledged them all
// (each label fetched from the ShipStation sandbox, normalised, stored and
// published, each order indexed). Rate limits are off, in the sandbox and
// in the client. One op is one label.
//
//	go test ./services/shipment-tracker -run '^$' -bench Shipments -benchtime 20000x
//
// Reported: shipments/s, and kv-writes/shipment, the writes to the
// shipments bucket per label (a new label is 2: its record and its
// order's index).
func BenchmarkShipments(b *testing.B) {
	for _, batch := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchShipments(b, batch) })
	}
}

func benchShipments(b *testing.B, batch int) {
	env := consumertest.New(b)
	ctx := context.Background()
	api := sandbox.NewShipStationAPI(sandbox.ShipStationKey{Key: "bench-key", Secret: "bench-secret"})
	api.SetRateLimit(0, 0)
	srv := httptest.NewServer(api)
	b.Cleanup(srv.Close)
	cfg, err := shipmenttracker.Load(envconf.Map(map[string]string{
		"SHIPSTATION_API_KEY":       "bench-key",
		"SHIPSTATION_API_SECRET":    "bench-secret",
		"SHIPSTATION_API_URL":       srv.URL,
		"SHIPSTATION_SHARED_BUDGET": "false",
		"SHIPSTATION_RATE_LIMIT":    "100000000",
		"HEALTH_ADDR":               "-",
	}))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := shipmenttracker.New(cfg, env.JS.Conn(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Provision(ctx); err != nil {
		b.Fatal(err)
	}

	run := time.Now().UnixNano() // batch names unique to this run
	for i, left := 0, b.N; left > 0; i++ {
		n := min(batch, left)
		left -= n
		name := fmt.Sprintf("bench-%d-%d", run, i)
		api.SetShipmentBatchSize(name, n)
		env.Webhook(catalog.ShipStation, "SHIP_NOTIFY", resourceBody(srv.URL+"/shipments?batchId="+name, "SHIP_NOTIFY"), consumertest.WithID(name))
	}

	b.ResetTimer()
	start := time.Now()
	stop := env.Start(svc)
	deadline := start.Add(10 * time.Minute)
	for !env.Idle(catalog.StreamWebhooks, shipmenttracker.Durable) {
		if time.Now().After(deadline) {
			b.Fatal("the consumer did not settle in 10 minutes")
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	if entries := env.DLQ(shipmenttracker.Durable); len(entries) != 0 {
		b.Fatalf("%d DLQ entries", len(entries))
	}
	kvs, err := env.JS.Stream(ctx, "KV_"+state.BucketShipments)
	if err != nil {
		b.Fatal(err)
	}
	info, err := kvs.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "shipments/s")
	b.ReportMetric(float64(info.State.LastSeq)/float64(b.N), "kv-writes/shipment")
}
