package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/schemas"
)

// End-to-end latency: from a webhook's HTTP request to its canonical event
// on the output stream, through `hookstream dev` (the gateway, JetStream,
// the consumer with its state path), against a baseline measured in the
// same run: the same payload published straight to JetStream and
// republished to an output stream by a minimal consumer. Webhooks are sent
// at a steady pace (E2E_RATE per second, default 50); each sub-benchmark
// reports p50 and p99 in milliseconds and the ratio of its p50 to the
// baseline's.
//
//	go test -run '^$' -bench EndToEnd -benchtime 400x ./cmd/hookstream
//	E2E_RATE=400 go test -run '^$' -bench EndToEnd -benchtime 2000x ./cmd/hookstream
func BenchmarkEndToEnd(b *testing.B) {
	rate := 50
	if v, err := strconv.Atoi(envOr("E2E_RATE", "50")); err == nil && v > 0 {
		rate = v
	}
	var baseline time.Duration
	b.Run("baseline", func(b *testing.B) {
		baseline = percentile(measureBaseline(b, rate), 50)
	})
	for _, kind := range []struct {
		name     string
		provider string
		event    string
		out      string // subject filter of the canonical events
	}{
		{"snipcart-order", catalog.Snipcart, "order.completed", "orders.snipcart.upserted.>"},
		{"shopline-hold", catalog.Shopline, "fulfillment_order/on_hold", "fulfillment.shopline.hold_placed.>"},
	} {
		b.Run(kind.name, func(b *testing.B) {
			lat := measureHookstream(b, rate, kind.provider, kind.event, kind.out)
			if baseline > 0 {
				b.ReportMetric(float64(percentile(lat, 50))/float64(baseline), "p50/baseline")
			}
		})
	}
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

// latencies collects the time from a send to its arrival, by id.
type latencies struct {
	mu      sync.Mutex
	sent    map[string]time.Time
	got     []time.Duration
	arrived chan struct{}
}

func newLatencies(n int) *latencies {
	return &latencies{sent: make(map[string]time.Time, n), arrived: make(chan struct{}, n)}
}

func (l *latencies) send(id string) {
	l.mu.Lock()
	l.sent[id] = time.Now()
	l.mu.Unlock()
}

func (l *latencies) arrive(id string) {
	now := time.Now()
	l.mu.Lock()
	start, ok := l.sent[id]
	if ok {
		delete(l.sent, id)
		l.got = append(l.got, now.Sub(start))
	}
	l.mu.Unlock()
	if ok {
		l.arrived <- struct{}{}
	}
}

// wait waits for n arrivals and reports p50 and p99.
func (l *latencies) wait(b *testing.B, n int) []time.Duration {
	b.Helper()
	deadline := time.After(2 * time.Minute)
	for range n {
		select {
		case <-l.arrived:
		case <-deadline:
			b.Fatalf("%d of %d events arrived", len(l.got), n)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b.ReportMetric(float64(percentile(l.got, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(l.got, 99).Microseconds())/1000, "p99-ms")
	return slices.Clone(l.got)
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// paced calls send(i) for i in [0, n), rate times a second.
func paced(n, rate int, send func(i int)) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		<-tick.C
		wg.Go(func() { send(i) })
	}
	wg.Wait()
}

// measureHookstream sends b.N webhooks of provider's event, each about a
// new entity, to `hookstream dev` and times each to its canonical event.
func measureHookstream(b *testing.B, rate int, provider, event, out string) []time.Duration {
	env := startTestDev(b)
	ctx := context.Background()
	et, err := catalog.Webhook(provider, event)
	if err != nil {
		b.Fatal(err)
	}
	body, headers, err := schemas.Example(et)
	if err != nil {
		b.Fatal(err)
	}
	n := b.N
	lat := newLatencies(n)
	sub, err := env.nc.Subscribe(out, func(m *nats.Msg) { lat.arrive(m.Header.Get("ce-subject")) })
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	o := sendOptions{gatewayURL: env.gatewayURL, sandboxURL: env.sandboxURL, shoplineSecret: devShoplineSecret}
	// Every request is built (and a Snipcart token issued) before the clock
	// starts: the measure is the pipeline's, not the sandbox's.
	reqs := make([]*http.Request, n)
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("%024d", 9_000_000+i)
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			b.Fatal(err)
		}
		h := map[string]string{}
		switch provider {
		case catalog.Snipcart:
			doc["content"].(map[string]any)["token"] = "bench-" + id
			ids[i] = "snipcart:bench-" + id
		case catalog.Shopline:
			doc["fulfillment_order"].(map[string]any)["id"] = id
			for k, v := range headers {
				h[k] = v
			}
			h["X-Shopline-Webhook-Id"] = "bench" + id
			ids[i] = "shopline:" + h["X-Shopline-Shop-Id"] + ":" + id
		}
		b2, _ := json.Marshal(doc)
		if reqs[i], err = o.signedRequest(ctx, et, b2, h); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	paced(n, rate, func(i int) {
		lat.send(ids[i])
		resp, err := http.DefaultClient.Do(reqs[i])
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Errorf("webhook %d: %v %v", i, err, resp)
			return
		}
		resp.Body.Close()
	})
	got := lat.wait(b, n)
	b.StopTimer()
	return got
}

// measureBaseline publishes b.N CloudEvents straight to JetStream; a
// minimal consumer republishes each to an output stream, where its arrival
// is timed.
func measureBaseline(b *testing.B, rate int) []time.Duration {
	env := startTestDev(b)
	ctx := context.Background()
	js, err := jetstream.New(env.nc)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCHOUT", Subjects: []string{"benchout.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, catalog.StreamWebhooks, jetstream.ConsumerConfig{
		Durable: "bench-baseline", FilterSubject: "webhooks.bench.>", AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		b.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		out := &nats.Msg{Subject: "benchout." + m.Headers().Get("ce-id"), Header: m.Headers(), Data: m.Data()}
		out.Header.Del(nats.MsgIdHdr)
		if _, err := js.PublishMsg(ctx, out); err == nil {
			_ = m.Ack()
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	n := b.N
	lat := newLatencies(n)
	sub, err := env.nc.Subscribe("benchout.>", func(m *nats.Msg) { lat.arrive(strings.TrimPrefix(m.Subject, "benchout.")) })
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	et, _ := catalog.Webhook(catalog.Snipcart, "order.completed")
	body, _, _ := schemas.Example(et)
	b.ResetTimer()
	paced(n, rate, func(i int) {
		id := "base" + strconv.Itoa(i)
		msg, err := ce.NewMsg("webhooks.bench.order", ce.Attributes{ID: id, Source: "/bench", Type: "bench.webhook", DataContentType: "application/json"}, body)
		if err != nil {
			b.Error(err)
			return
		}
		lat.send(id)
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			b.Error(err)
		}
	})
	got := lat.wait(b, n)
	b.StopTimer()
	return got
}
