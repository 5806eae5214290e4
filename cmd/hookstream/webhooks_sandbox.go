package main

import (
	"net/http"

	"github.com/hookstream/hookstream/pkg/sandbox"
)

// Development credentials of the SHOPLINE open-API sandbox (ShipStation's
// are devShipStationKey, devShipStationSec and devShipStationV2Key).
const (
	devShoplineAccessToken = "dev-shopline-access-token"
	devShoplineHandle      = "hookstream-demo"
)

// withSubscriptionSandboxes adds the providers' webhook-management
// sandboxes to the two sandbox listeners: SHOPLINE's open API under
// sandbox.ShoplinePrefix and ShipStation V2's webhook endpoints beside dev's
// other APIs (the V2 API among them), ShipStation V1's webhook endpoints
// beside the V1 API, at the root as at ShipStation.
func withSubscriptionSandboxes(dev, api http.Handler, v1 sandbox.ShipStationKey) (http.Handler, http.Handler) {
	devMux := http.NewServeMux()
	devMux.Handle(sandbox.ShoplinePrefix+"/", http.StripPrefix(sandbox.ShoplinePrefix, sandbox.NewShoplineAPI(devShoplineAccessToken)))
	hooks := sandbox.NewShipStationWebhooks([]sandbox.ShipStationKey{v1}, devShipStationV2Key)
	hooks.RegisterV2(devMux)
	devMux.Handle("/", dev)
	apiMux := http.NewServeMux()
	hooks.RegisterV1(apiMux)
	apiMux.Handle("/", api)
	return devMux, apiMux
}

// devWebhooksEnv is the environment `hookstream webhooks -dev` runs with:
// the sandboxes of a `hookstream dev` on its default addresses.
func devWebhooksEnv() map[string]string {
	return map[string]string{
		envGatewayPublicURL:         defaultGatewayURL,
		"SHIPSTATION_API_URL":       defaultShipStationAPI,
		"SHIPSTATION_API_KEY":       devShipStationKey,
		"SHIPSTATION_API_SECRET":    devShipStationSec,
		"SHIPSTATION_WEBHOOK_TOKEN": devShipStationToken,
		"SHIPSTATION_V2_API_URL":    defaultSandboxURL,
		"SHIPSTATION_V2_API_KEY":    devShipStationV2Key,
		"SHOPLINE_API_URL":          defaultSandboxURL + sandbox.ShoplinePrefix,
		"SHOPLINE_ACCESS_TOKEN":     devShoplineAccessToken,
		"SHOPLINE_SHOP_HANDLE":      devShoplineHandle,
	}
}
