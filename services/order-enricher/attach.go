package orderenricher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hookstream/hookstream/pkg/consumer"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// pendingPrefix prefixes the KV keys of attachments (refunds,
// notifications) whose order has not arrived yet.
const pendingPrefix = "pending."

// errNoOrder is returned by an attachment's Decide when the order is not
// stored yet.
var errNoOrder = errors.New("order not stored yet")

// attacher parses an attachment event and applies it to an order; apply
// reports whether the order changed.
type attacher struct {
	parse func(content json.RawMessage, at time.Time) (orderID string, apply func(o *model.Order) bool, err error)
}

var attachRefund = attacher{parse: func(content json.RawMessage, at time.Time) (string, func(*model.Order) bool, error) {
	id, r, err := model.SnipcartRefund(content, at)
	return id, func(o *model.Order) bool { return o.ApplyRefund(r) }, err
}}

var attachNotification = attacher{parse: func(content json.RawMessage, at time.Time) (string, func(*model.Order) bool, error) {
	id, n, err := model.SnipcartNotification(content, at)
	return id, func(o *model.Order) bool { return o.ApplyNotification(n) }, err
}}

// attach is the handler of the Snipcart webhooks a attaches.
func (s *Service) attach(a attacher) func(context.Context, *event.Event) error {
	return func(ctx context.Context, e *event.Event) error { return s.snipcartAttachment(ctx, e, a) }
}

// snipcartAttachment attaches a refund or notification to its order. When
// the order is not stored yet, the attachment waits under pending.<key>
// and upsert merges it when the order arrives.
func (s *Service) snipcartAttachment(ctx context.Context, e *event.Event, a attacher) error {
	env, err := decodeSnipcart(e)
	if err != nil {
		return err
	}
	orderID, apply, err := a.parse(env.Content, e.Time())
	if err != nil {
		return runner.Permanent(err)
	}
	account := consumer.Account(e)
	orderID = model.AccountID(orderID, account)
	key := model.Order{ID: orderID}.Key()
	attachToOrder := func() error {
		_, err := s.frame.State().Apply(ctx, e, key, func(current json.RawMessage) (*state.Change, error) {
			if current == nil {
				return nil, errNoOrder
			}
			o, err := decodeOrder(current)
			if err != nil || !apply(&o) {
				return nil, err
			}
			return orderChange(o)
		})
		return err
	}
	if err := attachToOrder(); !errors.Is(err, errNoOrder) {
		return err
	}
	_, err = s.frame.State().Apply(ctx, e, pendingPrefix+key, func(current json.RawMessage) (*state.Change, error) {
		p := model.Order{ID: orderID, Account: account} // only ID, Account, Refunds and Notifications are used
		if current != nil {
			if err := json.Unmarshal(current, &p); err != nil {
				return nil, fmt.Errorf("pending attachments of %s: %w", key, err)
			}
		}
		if !apply(&p) {
			return nil, nil
		}
		return &state.Change{State: p}, nil
	})
	if err != nil {
		return err
	}
	// The order may have been stored between the first attempt and the
	// pending write, without seeing it: attach once more.
	if err := attachToOrder(); !errors.Is(err, errNoOrder) {
		return err
	}
	return nil
}

// pending returns the attachments waiting for the order stored under key.
func (s *Service) pending(ctx context.Context, key string) (model.Order, error) {
	var p model.Order
	err := state.GetState(ctx, s.frame.Bucket(), pendingPrefix+key, &p)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return p, nil
	}
	return p, err
}
