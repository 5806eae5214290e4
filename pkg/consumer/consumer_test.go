package consumer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap/zaptest"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natstest"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/pkg/streams"
)

func load(t *testing.T, env map[string]string) consumer.Settings {
	t.Helper()
	l := envconf.New(envconf.Map(env))
	s := consumer.LoadSettings(l, ":9999")
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadSettings(t *testing.T) {
	s := load(t, map[string]string{"HEALTH_ADDR": "-", "STREAM_REPLICAS": "3", "CONSUMER_CONCURRENCY": "4"})
	if s.HealthAddr != "" || s.Replicas != 3 || s.Consumer.Concurrency != 4 || s.ShipStation.Primary.Key != "" {
		t.Errorf("settings %+v", s)
	}
	if d := load(t, nil); d.HealthAddr != ":9999" || d.Replicas != 1 {
		t.Errorf("defaults %+v", d)
	}
	l := envconf.New(envconf.Map(map[string]string{"SHIPSTATION_API_KEY": "k", "STREAM_REPLICAS": "0"}))
	consumer.LoadSettings(l, "")
	err := l.Err()
	for _, name := range []string{"SHIPSTATION_API_KEY:", "STREAM_REPLICAS:"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

func newFrame(t *testing.T, env map[string]string) (*consumer.Frame, *natstest.Server) {
	t.Helper()
	ns := natstest.Run(t)
	f, err := consumer.New(ns.Connect(), load(t, env), consumer.Spec{
		Name:     "frame-test",
		Webhooks: consumer.NewRoutes("frame-test", consumer.On(catalog.Snipcart, "order.completed", func(context.Context, *runner.Message) error { return nil })),
		Streams:  []jetstream.StreamConfig{streams.Orders(streams.Options{})},
		Bucket:   state.Bucket("frame-test", "test", state.BucketOptions{}),
	}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return f, ns
}

// Provision creates the service's streams, the DLQ and its bucket; until
// then the frame has no bucket (and /readyz says so).
func TestProvision(t *testing.T) {
	f, _ := newFrame(t, nil)
	if f.Bucket() != nil {
		t.Fatal("a bucket before Provision")
	}
	ctx := context.Background()
	if err := f.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ORDERS", "DLQ"} {
		if _, err := f.JetStream().Stream(ctx, name); err != nil {
			t.Errorf("stream %s: %v", name, err)
		}
	}
	if f.Bucket() == nil {
		t.Error("no bucket after Provision")
	}
}

// ShipStationResource refuses, permanently, what no retry can fix.
func TestShipStationResource(t *testing.T) {
	api := httptest.NewServer(http.NotFoundHandler())
	defer api.Close()
	withKey := map[string]string{"SHIPSTATION_API_KEY": "k", "SHIPSTATION_API_SECRET": "s", "SHIPSTATION_API_URL": api.URL}
	webhook := func(body string) *event.Event {
		e := event.New()
		_ = e.SetData(event.ApplicationJSON, []byte(body))
		return &e
	}
	good := `{"resource_url":"` + api.URL + `/orders?storeID=42&importBatch=b","resource_type":"ORDER_NOTIFY"}`

	noKey, _ := newFrame(t, nil)
	if _, _, _, err := noKey.ShipStationResource(webhook(good)); !runner.IsPermanent(err) || !strings.Contains(err.Error(), "SHIPSTATION_API_KEY") {
		t.Errorf("without credentials: %v; want a permanent error naming SHIPSTATION_API_KEY", err)
	}
	f, _ := newFrame(t, withKey)
	if _, _, _, err := f.ShipStationResource(webhook(`{"nope":1}`)); !runner.IsPermanent(err) {
		t.Errorf("not a ShipStation body: %v; want permanent", err)
	}
	client, resourceURL, store, err := f.ShipStationResource(webhook(good))
	if err != nil || client == nil || !strings.HasSuffix(resourceURL, "importBatch=b") || store != "42" {
		t.Errorf("got %v, %q, %q, %v", client, resourceURL, store, err)
	}
}
