package shopline

import (
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
)

// ShopID returns the shop a stored SHOPLINE webhook came from, for the
// consumers: its shopid extension (X-Shopline-Shop-Id, see Verify), else
// the shop in its source (/shopline/shops/<shop id>, a named account's
// /shopline/accounts/<account>/shops/<shop id>), else "".
func ShopID(e *event.Event) string {
	if shop, _ := e.Extensions()["shopid"].(string); shop != "" {
		return shop
	}
	source, _ := provider.DefaultSource(e.Source())
	shop, found := strings.CutPrefix(source, "/"+catalog.Shopline+"/shops/")
	if !found || strings.Contains(shop, "/") {
		return ""
	}
	return shop
}
