package shopline

import (
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
)

// ShopID returns the shop a stored SHOPLINE webhook came from, for the
// consumers: its shopid extension (X-Shopline-Shop-Id, see Verify), else
// the shop in its source (/shopline/shops/<shop id>), else "".
func ShopID(e *event.Event) string {
	if shop, _ := e.Extensions()["shopid"].(string); shop != "" {
		return shop
	}
	shop, _ := strings.CutPrefix(e.Source(), "/"+catalog.Shopline+"/shops/")
	if shop == e.Source() || strings.Contains(shop, "/") {
		return ""
	}
	return shop
}
