package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/services/gateway"
)

// BenchmarkGateway measures the gateway's handler (no HTTP transport) on a
// real embedded JetStream server, beside the baseline of a bare synchronous
// JetStream publish of a message of the same size, in the same run:
//
//	go test ./services/gateway -run '^$' -bench Gateway -cpu 64
//
// Report the ratio gateway ns/op ÷ baseline ns/op; both publish every
// message synchronously and wait for the PubAck.
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
	gw, err := gateway.New(cfg, nc, nopLogger())
	if err != nil {
		b.Fatal(err)
	}
	if err := gw.EnsureStreams(context.Background()); err != nil {
		b.Fatal(err)
	}
	h := gw.Handler()
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
	b.Run("gateway=shipstation", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodPost, "/webhooks/shipstation?token="+testShipStationToken, bytes.NewReader(body()))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Errorf("status %d: %s", rec.Code, rec.Body)
					return
				}
			}
		})
	})
}
