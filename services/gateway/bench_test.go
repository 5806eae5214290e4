package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookstream/hookstream/pkg/accounts"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/tracing"
	"github.com/hookstream/hookstream/services/gateway"
)

// BenchmarkGateway measures the gateway, served on loopback and driven by
// a Go HTTP client, on a real embedded JetStream server, beside the
// baseline of a bare synchronous JetStream publish of a message of the
// same size, in the same run:
//
//	go test ./services/gateway -run '^$' -bench Gateway -cpu 64
//
// Report the ratio gateway ns/op ÷ baseline ns/op; each answer or publish
// waits for JetStream to store its message. The gateway serves
// benchAccounts named ShipStation accounts besides the default one, and
// the account=last run posts to the last one's route: routes are found by
// path in a map, so it costs what the default route does. The client, the gateway and
// the server share the process, so this is a regression check;
// deploy/bench/gateway.sh is the measurement.
// benchAccounts is how many named accounts BenchmarkGateway's gateway
// serves.
const benchAccounts = 500

func BenchmarkGateway(b *testing.B) {
	ns := natstest.Run(b)
	nc, err := nats.Connect(ns.ClientURL(), gateway.NATSOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	cfg, err := gateway.Load(envconf.Map(map[string]string{"SHIPSTATION_WEBHOOK_TOKEN": testShipStationToken}))
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchAccounts {
		cfg.Accounts.ShipStation = append(cfg.Accounts.ShipStation, accounts.ShipStation{
			Name: fmt.Sprintf("account-%d", i), WebhookToken: fmt.Sprintf("%s-%d", testShipStationToken, i)})
	}
	last := cfg.Accounts.ShipStation[benchAccounts-1]
	gw, err := gateway.New(cfg, nc, nopLogger())
	if err != nil {
		b.Fatal(err)
	}
	if err := gw.EnsureStreams(context.Background()); err != nil {
		b.Fatal(err)
	}
	url, client := serve(b, gw)
	var seq atomic.Int64
	body := func() []byte {
		return fmt.Appendf(nil, `{"resource_url":"https://ssapi.shipstation.com/orders?storeID=123456&importBatch=bench-%d-%016x","resource_type":"ORDER_NOTIFY"}`, time.Now().UnixNano(), seq.Add(1))
	}

	b.Run("baseline=js.Publish", func(b *testing.B) {
		js := ns.JetStream()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				msg := &nats.Msg{Subject: "webhooks.baseline", Data: body(), Header: nats.Header{}}
				msg.Header.Set(nats.MsgIdHdr, fmt.Sprint(seq.Add(1)))
				if _, err := js.PublishMsg(context.Background(), msg); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	postTo := func(b *testing.B, target string) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := client.Post(target, "application/json", bytes.NewReader(body()))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	post := func(b *testing.B) { postTo(b, url+"/webhooks/shipstation?token="+testShipStationToken) }
	b.Run("gateway=shipstation", post)
	b.Run("gateway=shipstation,account=last", func(b *testing.B) {
		postTo(b, url+"/webhooks/shipstation/"+last.Name+"?token="+last.WebhookToken)
	})
	// With tracing on: every request's spans recorded and batched to an
	// exporter that drops them (the cost of the spans, not of a collector).
	b.Run("gateway=shipstation,tracing=on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		tracing.Install(tp)
		defer func() {
			tracing.Uninstall()
			_ = tp.Shutdown(context.Background())
		}()
		post(b)
	})
}
