package sandbox

import (
	"net/http"
)

// Paths of the sandbox APIs on the one listener `hookstream dev` opens.
const (
	// SnipcartPrefix is the Snipcart API base: SNIPCART_API_URL points here.
	SnipcartPrefix = "/snipcart"
	// SnipcartIssuePath issues a genuine request token to a sender.
	SnipcartIssuePath = SnipcartPrefix + "/sandbox/requesttokens"
	// ShipStationV2Prefix is the ShipStation V2 signer.
	ShipStationV2Prefix = "/shipstation-v2"
	// ShipStationV2JWKSPath is the JWKS: SHIPSTATION_V2_JWKS_URL points here.
	ShipStationV2JWKSPath = ShipStationV2Prefix + "/jwks"
	// ShipStationV2SignPath signs a body for a sender.
	ShipStationV2SignPath = ShipStationV2Prefix + "/sign"
	// ShipStationV2APIPrefix is the ShipStation V2 API sandbox, at the
	// root like ShipStation's (resource URLs name /v2/fulfillments):
	// SHIPSTATION_V2_API_URL is the listener's base URL.
	ShipStationV2APIPrefix = "/v2/"
)

// NewDev returns the handler for all sandbox APIs under one listener: the
// Snipcart API under SnipcartPrefix and the ShipStation V2 signer under
// ShipStationV2Prefix.
func NewDev(snipcartSecretKey string) (http.Handler, error) {
	v2, err := NewShipStationV2()
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(SnipcartPrefix+"/", http.StripPrefix(SnipcartPrefix, NewSnipcart(snipcartSecretKey)))
	mux.Handle(ShipStationV2Prefix+"/", http.StripPrefix(ShipStationV2Prefix, v2))
	return mux, nil
}

// WithShipStationV2API serves the ShipStation V2 API sandbox accepting
// apiKey under ShipStationV2APIPrefix and everything else with h.
func WithShipStationV2API(h http.Handler, apiKey string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(ShipStationV2APIPrefix, NewShipStationV2API(apiKey))
	mux.Handle("/", h)
	return mux
}
