package orderenricher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/runner"
	"github.com/hookstream/hookstream/pkg/state"
)

// webhooks is the table of the webhooks the service handles: its durable
// consumer's filter subjects and Handle's dispatch both come from it, so
// handling one more catalogued webhook is one line here.
func (s *Service) webhooks() *consumer.Routes {
	return consumer.NewRoutes(Durable,
		consumer.On(catalog.ShipStation, "ORDER_NOTIFY", s.shipStationBatch),
		consumer.On(catalog.ShipStation, "ITEM_ORDER_NOTIFY", s.shipStationBatch),
		consumer.On(catalog.ShipStation, "SALES_ORDERS_IMPORTED_V2", s.shipStationV2SalesOrders),
		// Every Snipcart order event carries the whole order, also those
		// the catalog does not know yet; refunds and notifications attach.
		consumer.OnFamily(catalog.Snipcart, "order", s.snipcartOrder),
		consumer.On(catalog.Snipcart, "order.refund.created", s.attach(attachRefund)),
		consumer.On(catalog.Snipcart, "order.notification.created", s.attach(attachNotification)),
		// SHOPLINE orders/* topics whose body is the whole order.
		consumer.On(catalog.Shopline, "orders/create", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/updated", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/edited", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/paid", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/fulfilled", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/partially_fulfilled", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/cancelled", s.shoplineOrder),
		consumer.On(catalog.Shopline, "orders/delete", s.shoplineDeletion),
		// Orders the reconciler found in the providers' lists.
		consumer.OnReconciled(catalog.ShipStation, catalog.ReconciledOrder, s.reconciledShipStationOrder),
		consumer.OnReconciled(catalog.Snipcart, catalog.ReconciledOrder, s.reconciledSnipcartOrder),
		consumer.OnReconciled(catalog.Shopline, catalog.ReconciledOrder, s.reconciledShoplineOrder),
	)
}

// Handle processes one webhook: the runner.Handler of the service (see
// webhooks). Its error tells the runner what to do (see
// runner.ClassifyProvider).
func (s *Service) Handle(ctx context.Context, m *runner.Message) error {
	return s.routes.Handle(ctx, m)
}

// shipStationBatch fetches the orders of a ShipStation import batch and
// upserts each one (upsertPages).
func (s *Service) shipStationBatch(ctx context.Context, e *event.Event) error {
	client, resourceURL, _, err := s.frame.ShipStationResource(e)
	if err != nil {
		return err
	}
	fetch := func(from int, each func(int, []shipstation.Order) error) (shipstation.Stats, error) {
		return client.OrderPages(ctx, resourceURL, from, each)
	}
	return upsertPages(ctx, s, e, fetch, func(o shipstation.Order) (model.Order, error) {
		order, err := model.FromShipStation(o)
		if err != nil {
			return order, fmt.Errorf("%d: %w", o.OrderID, err)
		}
		return order, nil
	})
}

// upsertPages runs fetch (the orders of one webhook's resource, page by
// page: a batch too large for one delivery is finished by the next ones,
// see consumer.Frame.ResumePages) and upserts each order. One bad order
// does not hold up the others: they are applied, and the message goes to
// the DLQ naming the bad ones.
func upsertPages[T any](ctx context.Context, s *Service, e *event.Event,
	fetch func(from int, each func(int, []T) error) (shipstation.Stats, error),
	normalise func(T) (model.Order, error)) error {
	var bad []string
	fetched := 0
	err := s.frame.ResumePages(ctx, e, func(from int, done func(int)) error {
		stats, err := fetch(from, func(page int, orders []T) error {
			fetched += len(orders)
			for _, o := range orders {
				order, err := normalise(o)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				if err := s.upsert(ctx, e, order); err != nil {
					return err
				}
			}
			done(page)
			return nil
		})
		s.frame.Log().Debug("fetched import batch", zap.String("event_id", e.ID()), zap.Int("orders", fetched), zap.Int("requests", stats.Requests))
		return runner.ClassifyProvider(err)
	})
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return runner.Permanent(fmt.Errorf("%d of %d orders could not be normalised: %s", len(bad), fetched, strings.Join(bad, "; ")))
	}
	return nil
}

// snipcartEnvelope is the part of a Snipcart webhook the service reads.
type snipcartEnvelope struct {
	Mode    string          `json:"mode"`
	Content json.RawMessage `json:"content"`
}

func decodeSnipcart(e *event.Event) (snipcartEnvelope, error) {
	var env snipcartEnvelope
	if err := json.Unmarshal(e.Data(), &env); err != nil || len(env.Content) == 0 {
		return env, runner.Permanent(fmt.Errorf("not a Snipcart webhook body: %v", err))
	}
	return env, nil
}

// snipcartOrder normalises a Snipcart order event, which carries the
// whole order, and upserts it.
func (s *Service) snipcartOrder(ctx context.Context, e *event.Event) error {
	env, err := decodeSnipcart(e)
	if err != nil {
		return err
	}
	order, err := model.FromSnipcartOrder(env.Content, env.Mode, e.Time())
	if err != nil {
		return runner.Permanent(err)
	}
	return s.upsert(ctx, e, order)
}

// upsert stores order when it is newer than the stored one, carrying over
// the refunds and notifications already attached (also those that arrived
// before the order), and publishes it.
func (s *Service) upsert(ctx context.Context, cause *event.Event, order model.Order) error {
	order.SetAccount(consumer.Account(cause))
	pending, err := s.pending(ctx, order.Key())
	if err != nil {
		return err
	}
	_, err = s.frame.State().Apply(ctx, cause, order.Key(), func(current json.RawMessage) (*state.Change, error) {
		next := order
		if current != nil {
			stored, err := decodeOrder(current)
			if err != nil {
				return nil, err
			}
			if !next.Version().Replaces(stored.Version()) || stored.Deleted() {
				return nil, nil // older than what we have, or deleted for good
			}
			next.MergeAttachments(stored)
		}
		next.MergeAttachments(pending)
		return orderChange(next)
	})
	return err
}

// orderChange is the state and the orders.<provider>.upserted event of an
// order. Its visible content leaves out the version (updated_at, tiebreak):
// a newer version that changes nothing else publishes nothing.
func orderChange(o model.Order) (*state.Change, error) {
	fingerprint, err := o.ContentFingerprint()
	if err != nil {
		return nil, runner.Permanent(err)
	}
	return &state.Change{State: o, Event: &state.Event{
		Name: catalog.OrderUpserted, Provider: o.Provider, Subject: o.ID, Time: o.UpdatedAt, Fingerprint: fingerprint,
		Account: o.Account,
	}}, nil
}

func decodeOrder(b []byte) (model.Order, error) {
	var o model.Order
	if err := json.Unmarshal(b, &o); err != nil {
		return o, runner.Permanent(fmt.Errorf("stored order is not readable: %w", err))
	}
	return o, nil
}
