package orderenricher

import (
	"context"
	"encoding/json"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// shoplineOrder normalises a SHOPLINE orders/* webhook, which carries the
// whole order, and upserts it. The shop is the webhook's.
func (s *Service) shoplineOrder(ctx context.Context, e *event.Event) error {
	return s.upsertShopline(ctx, e, shopline.ShopID(e), model.FromShoplineOrder)
}

// upsertShopline normalises the SHOPLINE order e carries, of shop, with
// normalise and upserts it.
func (s *Service) upsertShopline(ctx context.Context, e *event.Event, shop string, normalise func([]byte, string) (model.Order, error)) error {
	order, err := normalise(e.Data(), shop)
	if err != nil {
		return runner.Permanent(err)
	}
	return s.upsert(ctx, e, order)
}

// shoplineDeletion applies an orders/delete: the stored order (or the one
// the body carries, or, with neither, an order that has only its id)
// becomes cancelled with raw status "deleted", and no later webhook changes
// it again (see upsert).
func (s *Service) shoplineDeletion(ctx context.Context, m *runner.Message) error {
	e := m.Event
	d, err := model.FromShoplineOrderDeletion(e.Data(), shopline.ShopID(e), consumer.EventTime(m))
	if err != nil {
		return runner.Permanent(err)
	}
	account := consumer.Account(e)
	key := model.Order{ID: model.AccountID(d.OrderID, account)}.Key()
	_, err = s.frame.State().Apply(ctx, e, key, func(current json.RawMessage) (*state.Change, error) {
		var stored *model.Order
		if current != nil {
			o, err := decodeOrder(current)
			if err != nil {
				return nil, err
			}
			stored = &o
		}
		next, changed := d.Apply(stored)
		if !changed {
			return nil, nil
		}
		next.SetAccount(account) // an order from the body or the id alone is the default account's
		return orderChange(next)
	})
	return err
}
