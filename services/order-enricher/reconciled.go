package orderenricher

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/runner"
)

// reconciledShipStationOrder normalises an order the reconciler found, with
// the same normaliser and the same upsert as an order fetched for an
// ORDER_NOTIFY: an order the state already holds at that version publishes
// nothing.
func (s *Service) reconciledShipStationOrder(ctx context.Context, e *event.Event) error {
	var o shipstation.Order
	if err := json.Unmarshal(e.Data(), &o); err != nil {
		return runner.Permanent(fmt.Errorf("reconciled ShipStation order is not readable: %w", err))
	}
	order, err := model.FromShipStation(o)
	if err != nil {
		return runner.Permanent(err)
	}
	return s.upsert(ctx, e, order)
}

// snipcartSourcePrefix begins the ce-source of a Snipcart event, which
// names the mode: /snipcart/live, /snipcart/test (a named account's,
// /snipcart/accounts/<account>/live, read through provider.DefaultSource).
const snipcartSourcePrefix = "/snipcart/"

// reconciledSnipcartOrder normalises a Snipcart order the reconciler found
// (the order as Snipcart's API lists it, the mode in the event's source)
// with the normaliser of order webhooks. It has no webhook createdOn, so its
// version's tie-break is the lowest: an order a webhook already brought at
// the same modificationDate is newer, and nothing is published.
func (s *Service) reconciledSnipcartOrder(ctx context.Context, e *event.Event) error {
	source, _ := provider.DefaultSource(e.Source())
	mode, ok := strings.CutPrefix(source, snipcartSourcePrefix)
	if !ok {
		return runner.Permanent(fmt.Errorf("reconciled Snipcart order: source %q names no mode", e.Source()))
	}
	order, err := model.FromSnipcartOrder(e.Data(), mode, time.Time{})
	if err != nil {
		return runner.Permanent(err)
	}
	return s.upsert(ctx, e, order)
}

// reconciledShoplineOrder applies a SHOPLINE order the reconciler found
// (the order as GET orders.json lists it, the shop in the event's shopid
// and source, as a webhook's) through the path of orders/* webhooks, with
// the listed order's lowest tie-break at its updated_at: an order a webhook
// already brought at that updated_at is newer, and nothing is published.
func (s *Service) reconciledShoplineOrder(ctx context.Context, e *event.Event) error {
	shop := shopline.ShopID(e)
	if shop == "" {
		return runner.Permanent(fmt.Errorf("reconciled SHOPLINE order: neither its shopid nor its source %q names a shop", e.Source()))
	}
	return s.upsertShopline(ctx, e, shop, model.FromShoplineListedOrder)
}
