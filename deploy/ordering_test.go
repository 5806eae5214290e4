package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/ce"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/state"
	"github.com/hookstream/hookstream/schemas"
)

// TestCanonicalEventsNeverGoBackwardsWhileAReplicaIsKilled is the fault run
// that found the first version's ordering defect, as processes: a
// nats-server and two order-enricher replicas; 40 Snipcart orders with 5
// versions each (increasing modificationDate) arrive shuffled, and one
// replica is killed with SIGKILL twice (and started again) while they are
// handled. Then, for every order, the ORDERS stream holds its events in
// strictly increasing version order (entity version 1, 2, 3, … and
// increasing updated_at), no event twice, and the orders bucket holds the
// newest version, which is also the last event.
func TestCanonicalEventsNeverGoBackwardsWhileAReplicaIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs nats-server and two order-enricher processes; skipped with -short")
	}
	const (
		orders   = 40
		versions = 5
	)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin+string(filepath.Separator),
		"github.com/nats-io/nats-server/v2", "../services/order-enricher/cmd/order-enricher")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	natsURL, js := startNATSWithWebhooks(ctx, t, tmp, bin)

	// Short ack wait and back-off, so that the messages the killed replica
	// held come back within seconds.
	env := map[string]string{
		"NATS_URL":                 natsURL,
		"HEALTH_ADDR":              "-",
		"CONSUMER_ACK_WAIT":        "2s",
		"CONSUMER_CONCURRENCY":     "8",
		"CONSUMER_HANDLER_TIMEOUT": "10s",
		"LOG_LEVEL":                "warn",
	}
	enricher := filepath.Join(bin, "order-enricher")
	victim := startProc(t, tmp, "order-enricher-a", enricher, env)
	startProc(t, tmp, "order-enricher-b", enricher, env)

	// Every version of every order, shuffled, published as the gateway
	// publishes a Snipcart webhook.
	type delivery struct{ order, version int }
	var all []delivery
	for o := range orders {
		for v := range versions {
			all = append(all, delivery{o, v})
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	modified := func(v int) time.Time { return base.Add(time.Duration(v) * time.Minute) }
	token := func(o int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", o) }
	kills := 0
	for i, d := range all {
		publishSnipcartOrder(t, js, token(d.order), modified(d.version))
		if i == len(all)/3 || i == 2*len(all)/3 {
			victim.stop(syscall.SIGKILL, 0)
			kills++
			victim = startProc(t, tmp, "order-enricher-a"+strconv.Itoa(kills), enricher, env)
		}
	}

	kv, err := js.KeyValue(ctx, state.BucketOrders)
	for err != nil {
		eventually(t, 30*time.Second, "the orders bucket", func() bool {
			kv, err = js.KeyValue(ctx, state.BucketOrders)
			return err == nil
		})
	}
	newest := modified(versions - 1)
	for o := range orders {
		key := "snipcart." + token(o)
		eventually(t, 90*time.Second, "newest version of "+key, func() bool {
			var order model.Order
			return state.GetState(ctx, kv, key, &order) == nil && order.UpdatedAt.Equal(newest)
		})
	}

	last, n, backwards := checkCanonicalOrder(t, ctx, js, catalog.StreamOrders, func(data []byte) time.Time {
		var o model.Order
		if err := json.Unmarshal(data, &o); err != nil {
			t.Fatal(err)
		}
		return o.UpdatedAt
	})
	if len(last) != orders {
		t.Errorf("events for %d orders, want %d", len(last), orders)
	}
	for subject, l := range last {
		if !l.updated.Equal(newest) {
			t.Errorf("%s: last event is version updated %s, not the newest", subject, l.updated)
		}
	}
	t.Logf("%d webhooks, %d kills, %d canonical events for %d orders, %d out of order", len(all), kills, n, len(last), backwards)
}

// publishSnipcartOrder publishes the example order.status.changed webhook
// for the order token with modificationDate modified (and an e-mail address
// made of it), as the gateway does.
func publishSnipcartOrder(t *testing.T, js jetstream.JetStream, token string, modified time.Time) {
	t.Helper()
	et, err := catalog.Webhook(catalog.Snipcart, "order.status.changed")
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := schemas.Example(et)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	content := doc["content"].(map[string]any)
	content["token"] = token
	content["modificationDate"] = modified.Format(time.RFC3339)
	// Every version changes what a subscriber sees, so each one is an
	// event when it arrives in order.
	content["email"] = "buyer+" + modified.Format("1504") + "@example.com"
	data, _ := json.Marshal(doc)
	id := "snipcart-" + token + "-" + modified.Format("150405")
	msg, err := ce.NewMsg(et.Subject, ce.Attributes{
		ID: id, Source: "/snipcart/live", Type: et.Type, Time: modified, DataContentType: "application/json",
	}, data)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
}

// entityState is the newest event of one entity seen in a canonical
// stream.
type entityState struct {
	version uint64
	updated time.Time
}

// checkCanonicalOrder reads stream whole, in stream order, and reports
// every breach of the ordering invariant: per entity (its subjects
// <root>.<provider>.*.<key>), entity
// versions 1, 2, 3, … and strictly increasing updated times (as updatedAt
// reads them from an event's data; nil: not checked), and no event id
// twice. It returns each entity's newest event, the number of events and
// the number of breaches.
func checkCanonicalOrder(t *testing.T, ctx context.Context, js jetstream.JetStream, stream string, updatedAt func([]byte) time.Time) (map[string]entityState, int, int) {
	t.Helper()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]entityState{}
	ids := map[string]bool{}
	events, breaches := 0, 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		events++
		if id := m.Header.Get(nats.MsgIdHdr); ids[id] {
			breaches++
			t.Errorf("event %s is in %s twice", id, stream)
		} else {
			ids[id] = true
		}
		cur := entityState{}
		cur.version, _ = strconv.ParseUint(m.Header.Get(state.HeaderEntityVersion), 10, 64)
		if updatedAt != nil {
			cur.updated = updatedAt(m.Data)
		}
		// One entity's events share a sequence across event names:
		// <root>.<provider>.<event>.<key> without <event>.
		tokens := strings.SplitN(m.Subject, ".", 4)
		entity := m.Subject
		if len(tokens) == 4 {
			entity = tokens[0] + "." + tokens[1] + ".*." + tokens[3]
		}
		prev := last[entity]
		if cur.version != prev.version+1 || (updatedAt != nil && !cur.updated.After(prev.updated)) {
			breaches++
			t.Errorf("%s: version %d (updated %s) follows version %d (updated %s)", m.Subject, cur.version, cur.updated, prev.version, prev.updated)
		}
		last[entity] = cur
	}
	return last, events, breaches
}
