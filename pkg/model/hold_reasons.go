package model

import (
	"slices"
	"strings"
)

// HoldReason is a hold's reason, normalised; Hold.Reason keeps the
// provider's text.
type HoldReason string

// Normalised hold reasons.
const (
	ReasonOutOfStock HoldReason = "out_of_stock"
	ReasonAddress    HoldReason = "address"
	ReasonFraudRisk  HoldReason = "fraud_risk"
	ReasonPayment    HoldReason = "payment"
	// ReasonOther: any other reason, or none; Hold.Reason has the text.
	ReasonOther HoldReason = "other"
)

// HoldReasons returns every HoldReason, in the order of the canonical
// schema's enum.
func HoldReasons() []HoldReason {
	return []HoldReason{ReasonOutOfStock, ReasonAddress, ReasonFraudRisk, ReasonPayment, ReasonOther}
}

// Valid reports whether r is one of HoldReasons.
func (r HoldReason) Valid() bool { return slices.Contains(HoldReasons(), r) }

// holdReasons maps known reason texts, lower-cased with spaces and hyphens
// as '_': SHOPLINE's free-text examples and the enum names shops copy from
// Shopify-style APIs.
var holdReasons = map[string]HoldReason{
	"out_of_stock": ReasonOutOfStock, "inventory_out_of_stock": ReasonOutOfStock,
	"stock_out": ReasonOutOfStock, "backorder": ReasonOutOfStock, "back_order": ReasonOutOfStock,
	"incorrect_address": ReasonAddress, "invalid_address": ReasonAddress, "wrong_address": ReasonAddress,
	"address": ReasonAddress, "address_verification": ReasonAddress,
	"high_risk_of_fraud": ReasonFraudRisk, "fraud": ReasonFraudRisk, "fraud_risk": ReasonFraudRisk,
	"high_risk": ReasonFraudRisk, "suspected_fraud": ReasonFraudRisk,
	"awaiting_payment": ReasonPayment, "payment": ReasonPayment, "payment_pending": ReasonPayment,
	"pending_payment": ReasonPayment, "unpaid": ReasonPayment, "payment_failed": ReasonPayment,
	"other": ReasonOther,
}

// holdReasonWords decide, in this order, for a text the table lacks:
// "Item temporarily out-of-stock (supplier)" is out_of_stock.
var holdReasonWords = []struct {
	words  []string
	reason HoldReason
}{
	{[]string{"stock", "inventory", "backorder", "缺货", "库存"}, ReasonOutOfStock},
	{[]string{"address", "地址"}, ReasonAddress},
	{[]string{"fraud", "risk", "欺诈", "风险"}, ReasonFraudRisk},
	{[]string{"payment", "unpaid", "付款", "支付"}, ReasonPayment},
}

// NormaliseHoldReason maps a provider's hold reason text to a HoldReason:
// known texts first ("out of stock", "INCORRECT_ADDRESS",
// "high_risk_of_fraud", "awaiting payment", case, spaces, hyphens and
// underscores ignored), then words in the text (stock, inventory,
// backorder; address; fraud, risk; payment, unpaid; and their Chinese
// equivalents), else ReasonOther. An unknown reason is never an error.
func NormaliseHoldReason(raw string) HoldReason {
	s := strings.ToLower(strings.TrimSpace(raw))
	key := strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
	if r, ok := holdReasons[key]; ok {
		return r
	}
	for _, w := range holdReasonWords {
		for _, word := range w.words {
			if strings.Contains(s, word) {
				return w.reason
			}
		}
	}
	return ReasonOther
}
