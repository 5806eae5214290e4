package gateway_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

// The gateway's logs carry no secret, no query string and no payload,
// whether a request is refused or stored, on the default account's routes
// and on a named account's, which they name.
func TestLogsCarryNoSecretsOrPayloads(t *testing.T) {
	var logs bytes.Buffer
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logs), zap.DebugLevel))
	h := newAccountsHarnessLogging(t, nil, log)

	et, body, headers := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	ok := h.signed(et, body, headers)
	wantCode(t, h.do(ok), http.StatusOK)
	wrong := h.signed(et, body, headers)
	wrong.path = "/webhooks/shipstation?token=guessed-token-value"
	wantCode(t, h.do(wrong), http.StatusUnauthorized)

	set, slBody, slHeaders := exampleOf(t, "shopline", "fulfillment_order/update")
	forged := h.signed(set, slBody, slHeaders)
	forged.header.Set(shopline.HeaderHmac, shopline.Sign("guessed-secret", slBody))
	wantCode(t, h.do(forged), http.StatusUnauthorized)
	wantCode(t, h.do(request{path: "/webhooks/shopline", body: []byte(`{"card":"4111111111111111"`), header: http.Header{"Content-Type": {"application/json"}}}), http.StatusUnauthorized)

	east := h.as("east")
	wantCode(t, east.do(east.signed(et, body, headers)), http.StatusOK)
	eastWrong := east.signed(et, body, headers)
	eastWrong.path = "/webhooks/shipstation/east?token=west-shipstation-token"
	wantCode(t, h.do(eastWrong), http.StatusUnauthorized)
	unknown := east.signed(et, body, headers)
	unknown.path = "/webhooks/shipstation/nobody?token=east-shipstation-token"
	wantCode(t, h.do(unknown), http.StatusNotFound)
	wantCode(t, east.do(east.signed(set, slBody, slHeaders)), http.StatusOK)

	out := logs.String()
	if !strings.Contains(out, "webhook refused") {
		t.Fatalf("no refusal was logged; the test would prove nothing:\n%s", out)
	}
	for _, named := range []string{`"account":"east"`, `"account":"nobody"`, `"account":"default"`} {
		if !strings.Contains(out, named) {
			t.Errorf("no log line has %s:\n%s", named, out)
		}
	}
	for _, leak := range []string{testShipStationToken, "guessed-token-value", "token=", testShoplineSecret, "old-secret",
		"east-shipstation-token", "west-shipstation-token", testSharedAppSecret, "east-snipcart-key",
		testSnipcartKey, "4111111111111111", "resource_url", "Chestnut Street", "customer agreed"} {
		if strings.Contains(out, leak) {
			t.Errorf("logs contain %q:\n%s", leak, out)
		}
	}
}
