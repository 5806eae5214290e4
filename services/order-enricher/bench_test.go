package orderenricher_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

// BenchmarkEnricher measures enriched ShipStation orders per second from a
// pre-filled WEBHOOKS stream against the API sandbox with rate limits off,
// and the API calls made per 1,000 orders, beside a baseline measured in
// the same run: the least any consumer must do per order (one synchronous
// publish of an order-sized event and one KV write):
//
//	go test ./services/order-enricher -run '^$' -bench Enricher -benchtime 5000x
//
// Compare the two ns/op (per order). Import batches hold 500 orders, a
// full page each.
func BenchmarkEnricher(b *testing.B) {
	const batchSize = 500
	order := make([]byte, 1100) // about the size of a canonical order
	b.Run("baseline=publish+kv", func(b *testing.B) {
		h := newBenchHarness(b)
		kv, err := state.EnsureBucket(context.Background(), h.JS, state.Bucket("bench", "baseline", state.BucketOptions{}))
		if err != nil {
			b.Fatal(err)
		}
		if err := streams.Ensure(context.Background(), h.JS, streams.Orders(streams.Options{})); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			msg := nats.NewMsg("orders.shipstation.upserted")
			msg.Data = order
			msg.Header.Set(nats.MsgIdHdr, fmt.Sprint("baseline-", i))
			if _, err := h.JS.PublishMsg(context.Background(), msg); err != nil {
				b.Fatal(err)
			}
			if _, err := kv.Put(context.Background(), fmt.Sprint("shipstation.", i), order); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	})
	b.Run("enricher", func(b *testing.B) {
		h := newBenchHarness(b)
		h.api.SetRateLimit(0, time.Minute)
		for i, left := 0, b.N; left > 0; i, left = i+1, left-batchSize {
			h.orderNotify(fmt.Sprintf("bench-%d-%d", b.N, i), min(left, batchSize))
		}
		b.ResetTimer()
		h.start()
		want := uint64(b.N)
		natstest.Eventually(h.t, "every order", func() bool { return h.published(shipstationUpserted) >= want })
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		b.ReportMetric(float64(h.api.RequestsFor("/orders"))*1000/float64(b.N), "api_calls/1000orders")
	})
}

// newBenchHarness is newHarness for a benchmark: the same service, with
// a ShipStation budget of its own high enough not to pace it.
func newBenchHarness(b *testing.B) *harness {
	return newHarness(b, map[string]string{"SHIPSTATION_SHARED_BUDGET": "false", "SHIPSTATION_RATE_LIMIT": "1000000"})
}
