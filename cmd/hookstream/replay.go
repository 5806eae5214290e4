package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/dlq"
	"github.com/hookstream/hookstream/pkg/streams"
	fulfillmentholds "github.com/hookstream/hookstream/services/fulfillment-holds"
	orderenricher "github.com/hookstream/hookstream/services/order-enricher"
	shipmenttracker "github.com/hookstream/hookstream/services/shipment-tracker"
)

// replayConsumers are the services webhooks can be replayed to.
var replayConsumers = []string{orderenricher.Durable, shipmenttracker.Durable, fulfillmentholds.Durable}

// replayOptions select what `hookstream replay` sends again.
type replayOptions struct {
	url      string
	consumer string
	subject  string
	fromSeq  uint64
	toSeq    uint64
	since    string
	until    string
	dryRun   bool
	limit    int
	job      string
	progress time.Duration
}

// replayPlan is a replay resolved against the server: where to read, what
// to read and who gets each webhook.
type replayPlan struct {
	filters []string            // WEBHOOKS subjects to read
	targets map[string][]string // consumer → the subjects it reads
	since   time.Time
	until   time.Time
	job     string // the durable consumer on WEBHOOKS that keeps the position
}

// runReplay implements `hookstream replay`: it reads raw webhooks from
// WEBHOOKS (by sequence range, time range and subject) and sends each again
// to the consumer services that read it, on replay.<consumer>.<subject>,
// where the service handles it through its normal path. Its position is a
// durable consumer on WEBHOOKS named after the replay's parameters: stopped
// (Ctrl-C, -limit), the same command resumes where it stopped; finished,
// the position is deleted and the same command replays again.
func runReplay(ctx context.Context, args []string, stdout io.Writer) error {
	var o replayOptions
	fs := newFlags("replay", "[flags]", stdout)
	fs.StringVar(&o.url, "nats", defaultOperatorURL(), "NATS server URL")
	fs.StringVar(&o.consumer, "consumer", "all", "the service to replay to: "+strings.Join(replayConsumers, ", ")+" or all")
	fs.StringVar(&o.subject, "subject", "", "only webhooks on this subject (wildcards allowed), e.g. webhooks.snipcart.>; default: everything the services read")
	fs.Uint64Var(&o.fromSeq, "from-seq", 0, "first WEBHOOKS stream sequence")
	fs.Uint64Var(&o.toSeq, "to-seq", 0, "last WEBHOOKS stream sequence (0: to the end)")
	fs.StringVar(&o.since, "since", "", "only webhooks stored at or after this RFC 3339 time")
	fs.StringVar(&o.until, "until", "", "only webhooks stored before this RFC 3339 time")
	fs.BoolVar(&o.dryRun, "dry-run", false, "say how many webhooks would be replayed, and which, without sending any")
	fs.IntVar(&o.limit, "limit", 0, "stop after this many webhooks (run again to go on)")
	fs.StringVar(&o.job, "job", "", "name of the replay, for resuming (default: derived from the other flags)")
	fs.DurationVar(&o.progress, "progress", 2*time.Second, "how often to print progress")
	if err := fs.Parse(args); err != nil {
		return err
	}
	js, closeConn, err := operatorJetStream(o.url, "hookstream-replay")
	if err != nil {
		return err
	}
	defer closeConn()
	plan, err := planReplay(ctx, js, o)
	if err != nil {
		return err
	}
	if o.dryRun {
		return dryRun(ctx, js, o, plan, stdout)
	}
	return replay(ctx, js, o, plan, stdout)
}

// planReplay checks the options and resolves them against the services'
// durable consumers, whose filters say which webhooks each reads.
func planReplay(ctx context.Context, js jetstream.JetStream, o replayOptions) (replayPlan, error) {
	p := replayPlan{targets: map[string][]string{}}
	var err error
	if o.since != "" {
		if p.since, err = time.Parse(time.RFC3339, o.since); err != nil {
			return p, fmt.Errorf("-since: %w", err)
		}
	}
	if o.until != "" {
		if p.until, err = time.Parse(time.RFC3339, o.until); err != nil {
			return p, fmt.Errorf("-until: %w", err)
		}
	}
	if o.fromSeq > 0 && !p.since.IsZero() {
		return p, errors.New("give -from-seq or -since, not both")
	}
	if o.toSeq > 0 && o.toSeq < o.fromSeq {
		return p, fmt.Errorf("-to-seq %d is before -from-seq %d", o.toSeq, o.fromSeq)
	}
	names := replayConsumers
	if o.consumer != "all" {
		if !slices.Contains(replayConsumers, o.consumer) {
			return p, fmt.Errorf("-consumer %q: not one of %s or all", o.consumer, strings.Join(replayConsumers, ", "))
		}
		names = []string{o.consumer}
	}
	for _, name := range names {
		c, err := js.Consumer(ctx, catalog.StreamWebhooks, name)
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			continue // the service never ran here
		}
		if err != nil {
			return p, fmt.Errorf("consumer %s: %w", name, err)
		}
		filters := c.CachedInfo().Config.FilterSubjects
		if f := c.CachedInfo().Config.FilterSubject; f != "" {
			filters = append(filters, f)
		}
		if o.subject != "" {
			if !slices.ContainsFunc(filters, func(f string) bool { return overlaps(f, o.subject) }) {
				continue
			}
		}
		p.targets[name] = filters
		for _, f := range filters {
			if !slices.Contains(p.filters, f) {
				p.filters = append(p.filters, f)
			}
		}
	}
	if len(p.targets) == 0 {
		return p, fmt.Errorf("no consumer service to replay to (-consumer %s, -subject %q): has it run against this server?", o.consumer, o.subject)
	}
	if o.subject != "" {
		p.filters = []string{o.subject}
	}
	slices.Sort(p.filters)
	p.job = o.job
	if p.job == "" {
		h := sha256.Sum256([]byte(fmt.Sprint(o.consumer, o.subject, o.fromSeq, o.toSeq, o.since, o.until)))
		p.job = "replay-" + hex.EncodeToString(h[:6])
	}
	if !dlq.ValidToken(p.job) {
		return p, fmt.Errorf("-job %q: no dots, wildcards or spaces", p.job)
	}
	return p, nil
}

// overlaps reports whether a webhook could match both a and b (each a
// subject or filter). Good enough to pick the consumers of a -subject: a
// filter that matches the other, either way round.
func overlaps(a, b string) bool {
	return streams.SubjectMatches(a, strings.ReplaceAll(b, ">", "x")) || streams.SubjectMatches(b, strings.ReplaceAll(a, ">", "x")) ||
		streams.SubjectMatches(a, b) || streams.SubjectMatches(b, a)
}

// consumerConfig is where the replay starts reading.
func (p replayPlan) consumerConfig(o replayOptions, durable string) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		FilterSubjects: p.filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxDeliver:     -1,
	}
	if durable != "" {
		cfg.Durable = durable
		// An abandoned replay's position goes away on its own.
		cfg.InactiveThreshold = 7 * 24 * time.Hour
		// A run that died with messages in hand: they come back soon.
		cfg.AckWait = 10 * time.Second
	}
	switch {
	case o.fromSeq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, o.fromSeq
	case !p.since.IsZero():
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &p.since
	}
	return cfg
}

// past reports a message beyond the replay's end.
func (p replayPlan) past(o replayOptions, meta *jetstream.MsgMetadata) bool {
	return (o.toSeq > 0 && meta.Sequence.Stream > o.toSeq) || (!p.until.IsZero() && !meta.Timestamp.Before(p.until))
}

// targetsOf lists the consumers that read subject.
func (p replayPlan) targetsOf(subject string) []string {
	var out []string
	for name, filters := range p.targets {
		if slices.ContainsFunc(filters, func(f string) bool { return streams.SubjectMatches(f, subject) }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// dryRun reads what a replay would send, with an ordered consumer (no
// position kept), and prints a summary by subject.
func dryRun(ctx context.Context, js jetstream.JetStream, o replayOptions, p replayPlan, stdout io.Writer) error {
	cfg := p.consumerConfig(o, "")
	oc, err := js.OrderedConsumer(ctx, catalog.StreamWebhooks, jetstream.OrderedConsumerConfig{
		FilterSubjects: cfg.FilterSubjects, DeliverPolicy: cfg.DeliverPolicy, OptStartSeq: cfg.OptStartSeq, OptStartTime: cfg.OptStartTime,
	})
	if err != nil {
		return err
	}
	bySubject := map[string]int{}
	perConsumer := map[string]int{}
	var first, last uint64
	n := 0
	err = readAll(ctx, oc, func(m jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		if p.past(o, meta) || (o.limit > 0 && n >= o.limit) {
			return false, nil
		}
		targets := p.targetsOf(m.Subject())
		if len(targets) == 0 {
			return true, nil
		}
		n++
		bySubject[m.Subject()]++
		for _, t := range targets {
			perConsumer[t]++
		}
		if first == 0 {
			first = meta.Sequence.Stream
		}
		last = meta.Sequence.Stream
		return true, nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dry run: %d webhooks would be replayed", n)
	if n > 0 {
		fmt.Fprintf(stdout, " (WEBHOOKS stream sequences %d to %d)", first, last)
	}
	fmt.Fprintln(stdout)
	for _, name := range slices.Sorted(maps.Keys(perConsumer)) {
		fmt.Fprintf(stdout, "  to %-20s %d\n", name, perConsumer[name])
	}
	for _, subject := range slices.Sorted(maps.Keys(bySubject)) {
		fmt.Fprintf(stdout, "  %-60s %d\n", subject, bySubject[subject])
	}
	return nil
}

// replay sends the webhooks again, keeping its position in the durable
// consumer p.job.
func replay(ctx context.Context, js jetstream.JetStream, o replayOptions, p replayPlan, stdout io.Writer) error {
	c, err := js.Consumer(ctx, catalog.StreamWebhooks, p.job)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		if c, err = js.CreateConsumer(ctx, catalog.StreamWebhooks, p.consumerConfig(o, p.job)); err != nil {
			return fmt.Errorf("replay position %s: %w", p.job, err)
		}
		fmt.Fprintf(stdout, "replay %s: %d webhooks to look at\n", p.job, c.CachedInfo().NumPending)
	case err != nil:
		return fmt.Errorf("replay position %s: %w", p.job, err)
	default:
		info := c.CachedInfo()
		fmt.Fprintf(stdout, "replay %s: resuming after WEBHOOKS sequence %d, %d webhooks to look at\n", p.job, info.AckFloor.Stream, info.NumPending+uint64(info.NumAckPending))
	}
	// The copies' ids name this run of the job (its position's creation):
	// a resumed run sends a copy it already sent once all the same, and the
	// same command run again after this one finished sends everything anew.
	instance := p.job + "-" + strconv.FormatInt(c.CachedInfo().Created.UnixNano(), 36)
	sent, n := 0, 0
	lastReport := time.Now()
	finished := true
	err = readAll(ctx, c, func(m jetstream.Msg, meta *jetstream.MsgMetadata) (bool, error) {
		if p.past(o, meta) {
			return false, nil
		}
		if o.limit > 0 && n >= o.limit {
			finished = false
			return false, nil
		}
		for _, target := range p.targetsOf(m.Subject()) {
			again := &nats.Msg{Subject: streams.ReplaySubject(target, m.Subject()), Header: nats.Header{}, Data: m.Data()}
			for k, vs := range m.Headers() {
				if !dlq.IsControlHeader(k) {
					again.Header[k] = vs
				}
			}
			again.Header.Set(nats.MsgIdHdr, instance+"-"+target+"-"+strconv.FormatUint(meta.Sequence.Stream, 10))
			if _, err := js.PublishMsg(ctx, again, jetstream.WithExpectStream(streams.ReplayName)); err != nil {
				return false, fmt.Errorf("replay WEBHOOKS sequence %d to %s: %w", meta.Sequence.Stream, target, err)
			}
			sent++
		}
		if err := m.DoubleAck(ctx); err != nil {
			return false, err
		}
		n++
		if time.Since(lastReport) >= o.progress {
			fmt.Fprintf(stdout, "  %d webhooks replayed (%d copies), at WEBHOOKS sequence %d, %d left\n", n, sent, meta.Sequence.Stream, meta.NumPending)
			lastReport = time.Now()
		}
		return true, nil
	})
	if err != nil {
		fmt.Fprintf(stdout, "replay %s stopped after %d webhooks: run the same command to go on\n", p.job, n)
		return err
	}
	if !finished {
		fmt.Fprintf(stdout, "replay %s: %d webhooks replayed (%d copies); stopped at -limit, run the same command to go on\n", p.job, n, sent)
		return nil
	}
	if err := js.DeleteConsumer(ctx, catalog.StreamWebhooks, p.job); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("replay finished, its position %s not deleted: %w", p.job, err)
	}
	fmt.Fprintf(stdout, "replay %s finished: %d webhooks replayed (%d copies to %s)\n", p.job, n, sent, strings.Join(slices.Sorted(maps.Keys(p.targets)), ", "))
	return nil
}

// readAll hands c's messages to each, in order, until each says stop or
// nothing is left: no message pending and none delivered but not
// acknowledged (a stopped run's messages come back after their ack wait).
// Messages fetched but not handed over are nak'd, so that the next run gets
// them at once.
func readAll(ctx context.Context, c jetstream.Consumer, each func(jetstream.Msg, *jetstream.MsgMetadata) (bool, error)) error {
	for {
		batch, err := c.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		got, stop := 0, false
		var stopErr error
		for m := range batch.Messages() {
			got++
			if stop {
				_ = m.Nak()
				continue
			}
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			more, err := each(m, meta)
			if err != nil || !more {
				_ = m.Nak()
				stop, stopErr = true, err
			}
		}
		if stop {
			return stopErr
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if got > 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
	}
}
