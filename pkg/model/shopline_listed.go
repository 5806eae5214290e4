package model

import (
	"crypto/sha256"
	"encoding/hex"
)

// FromShoplineListedOrder normalises an order from SHOPLINE's orders list
// (GET orders.json: the same object as an orders/* webhook's body) exactly
// as FromShoplineOrder does, but with the lowest tie-break at its
// updated_at: "0!" and a hash of the body, below a webhook's "0#…" and a
// deletion's "1#…". A listed copy of a state a webhook already brought (the
// list and the webhook may serialise the same order differently) is
// therefore never newer than it, and a webhook arriving after the listed
// copy replaces it without changing the content. shop is the shop id.
func FromShoplineListedOrder(body []byte, shop string) (Order, error) {
	o, err := FromShoplineOrder(body, shop)
	if err != nil {
		return o, err
	}
	sum := sha256.Sum256(body)
	o.Tiebreak = listedRank + hex.EncodeToString(sum[:8])
	return o, nil
}

// listedRank begins a listed order's tie-break; '!' sorts before the '#'
// of shoplineTiebreak.
const listedRank = "0!"
