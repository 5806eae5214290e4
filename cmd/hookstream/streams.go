package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/streams"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	"github.com/hookstream/hookstream/services/gateway"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// streamDefinitions returns every stream the services provision, as each
// service defines it from its default configuration, with the given
// number of replicas (STREAM_REPLICAS), in pipeline order. The deploy
// module's tests compare the files this writes into deploy/streams/ with
// the streams the running services create.
func streamDefinitions(replicas int) ([]jetstream.StreamConfig, error) {
	env := envconf.Map(map[string]string{"STREAM_REPLICAS": strconv.Itoa(replicas)})
	gw, err := gateway.Load(env)
	if err != nil {
		return nil, err
	}
	oe, err := orderenricher.Load(env)
	if err != nil {
		return nil, err
	}
	st, err := shipmenttracker.Load(env)
	if err != nil {
		return nil, err
	}
	fh, err := fulfillmentholds.Load(env)
	if err != nil {
		return nil, err
	}
	defs := []jetstream.StreamConfig{
		streams.Webhooks(gw.Webhooks),
		streams.Orders(oe.Orders),
		streams.Shipments(st.Shipments),
		streams.Fulfillment(fh.Fulfillment),
		dlq.Stream(streams.Options{}),
		streams.Replay(streams.Options{}),
		fulfillmentholds.HoldTimersStream(fh.Timers),
	}
	// The consumers apply STREAM_REPLICAS to every stream they provision
	// (consumer.Frame.Provision); the gateway reads it into Webhooks.
	for i := range defs {
		defs[i].Replicas = replicas
	}
	return defs, nil
}

// runStreams prints stream definitions as the JSON `nats stream add
// --config` accepts: every stream, or those named, one JSON document after
// another; with -dir it writes one <NAME>.json per stream instead (how
// deploy/streams/ is made).
func runStreams(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("streams", "[flags] [STREAM...]", stdout)
	replicas := fs.Int("replicas", 1, "number of replicas (3 on a production cluster, as STREAM_REPLICAS=3)")
	dir := fs.String("dir", "", "write <NAME>.json files into this directory instead of printing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *replicas < 1 {
		return fmt.Errorf("-replicas must be at least 1, got %d", *replicas)
	}
	all, err := streamDefinitions(*replicas)
	if err != nil {
		return err
	}
	selected := all
	if fs.NArg() > 0 {
		selected = nil
		for _, name := range fs.Args() {
			i := slices.IndexFunc(all, func(c jetstream.StreamConfig) bool { return strings.EqualFold(c.Name, name) })
			if i < 0 {
				names := make([]string, len(all))
				for j, c := range all {
					names[j] = c.Name
				}
				return fmt.Errorf("unknown stream %q; the streams are %s", name, strings.Join(names, ", "))
			}
			selected = append(selected, all[i])
		}
	}
	for _, cfg := range selected {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "webhooks.>", not "webhooks.\u003e"
		if err := enc.Encode(cfg); err != nil {
			return fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
		b := buf.Bytes()
		if *dir == "" {
			if _, err := stdout.Write(b); err != nil {
				return err
			}
			continue
		}
		path := filepath.Join(*dir, cfg.Name+".json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return errors.Join(fmt.Errorf("stream %s", cfg.Name), err)
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	return nil
}
