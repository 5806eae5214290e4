package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// benchOptions are the flags of `hookstream bench`.
type benchOptions struct {
	url      string
	token    string
	clients  int
	duration time.Duration
	jsonOut  bool
}

// benchResult is what one load run measured.
type benchResult struct {
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"duration_ns"`
	Requests int64         `json:"requests"`
	Errors   int64         `json:"errors"`
	PerSec   float64       `json:"requests_per_sec"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
}

// runBench drives a gateway with authenticated ShipStation V1 webhooks,
// each one unique (so JetStream stores every one), from N concurrent
// keep-alive clients for a fixed time, and reports throughput and latency.
// deploy/bench/gateway.sh runs it beside `nats bench` on the same server.
func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	var o benchOptions
	fs := newFlags("bench", "[flags]", stdout)
	fs.StringVar(&o.url, "url", defaultGatewayURL+"/webhooks/shipstation", "webhook URL to load")
	fs.StringVar(&o.token, "token", devShipStationToken, "ShipStation webhook token (query parameter)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent clients, each with its own connection")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.clients < 1 || o.duration <= 0 {
		return errors.New("bench: -clients and -duration must be positive")
	}
	res, err := loadGateway(ctx, o)
	if err != nil {
		return err
	}
	if o.jsonOut {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "gateway: %d clients, %s: %d requests, %d errors, %.0f req/s, p50 %s, p99 %s, max %s\n",
		res.Clients, res.Duration.Round(time.Millisecond), res.Requests, res.Errors, res.PerSec,
		res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond), res.Max.Round(time.Microsecond))
	if res.Errors > 0 {
		return fmt.Errorf("bench: %d requests failed", res.Errors)
	}
	return nil
}

func loadGateway(ctx context.Context, o benchOptions) (benchResult, error) {
	target := o.url
	if o.token != "" {
		target += "?token=" + o.token
	}
	transport := &http.Transport{
		MaxIdleConns:        o.clients,
		MaxIdleConnsPerHost: o.clients,
		MaxConnsPerHost:     o.clients,
		DisableCompression:  true,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	run := time.Now().UnixNano()
	var (
		seq       atomic.Int64
		errs      atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
		latencies = make([][]time.Duration, o.clients)
	)
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			body := make([]byte, 0, 256)
			for ctx.Err() == nil {
				n := seq.Add(1)
				body = fmt.Appendf(body[:0],
					`{"resource_url":"https://ssapi.shipstation.com/orders?storeID=123456&importBatch=bench-%x-%016x","resource_type":"ORDER_NOTIFY"}`, run, n)
				t0 := time.Now()
				err := postOnce(client, target, body)
				if err != nil {
					if ctx.Err() != nil {
						break // the run ended mid-request; not the gateway's failure
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			latencies[c] = lat
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(latencies...)
	slices.Sort(all)
	res := benchResult{Clients: o.clients, Duration: elapsed, Requests: int64(len(all)), Errors: errs.Load()}
	if len(all) > 0 {
		res.PerSec = float64(len(all)) / elapsed.Seconds()
		res.P50 = all[len(all)/2]
		res.P99 = all[len(all)*99/100]
		res.Max = all[len(all)-1]
	}
	if e := firstErr.Load(); e != nil {
		return res, fmt.Errorf("bench: %d errors, first: %s", res.Errors, e)
	}
	return res, nil
}

func postOnce(client *http.Client, target string, body []byte) error {
	resp, err := client.Post(target, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// runNaiveGateway serves the benchmark's yardstick: the thinnest possible
// gateway, net/http plus a synchronous JetStream publish and a 200 after the
// PubAck, with no authentication, parsing or CloudEvent. It publishes to
// webhooks.naive in the WEBHOOKS stream.
func runNaiveGateway(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("naive-gateway", "[flags]", stdout)
	addr := fs.String("addr", "127.0.0.1:8181", "listen address")
	natsURL := fs.String("nats", nats.DefaultURL, "NATS URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nc, err := nats.Connect(*natsURL, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, err := js.Publish(r.Context(), "webhooks.naive", body); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	return ignoreClosed(srv.ListenAndServe())
}
