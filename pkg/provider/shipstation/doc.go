// Package shipstation is hookstream's ShipStation integration: it
// authenticates ShipStation webhooks and checks their envelopes for the
// gateway, its [Client] fetches the orders, shipments and fulfillments a
// V1 webhook's resource_url names for the consumers (paging, the 40
// requests/minute budget shared by every process through a JetStream KV
// bucket, 429s, key rotation, Pacific-time timestamps), and
// its [V2Client] the fulfillments and sales orders of the V2 webhooks that
// need a fetch (the api-key header, 200 requests/minute, Retry-After,
// links paging).
//
// ShipStation has two webhook families, and each gets its own
// [provider.Verifier]:
//
//   - API V1 ([V1Verifier]) posts {"resource_url", "resource_type"} and
//     signs nothing: there is no signature, no timestamp and no delivery id.
//     The only proof of origin is a secret token that the operator puts in
//     the target URL registered with ShipStation, so the token is compared
//     in constant time and checked before anything else. Because the
//     consumers later GET resource_url with the account's API key and secret,
//     a forged or mistyped resource_url would hand those credentials to
//     whoever it names; [ResourcePolicy] therefore admits only
//     https://ssapi[N].shipstation.com/{orders,shipments,fulfillments}, and
//     the API client checks the URL again before sending credentials.
//   - API V2 ([V2Verifier]) signs timestamp + "." + body with RSA
//     (RSASSA-PKCS1-v1_5, SHA-256) under a key published in a JWKS document
//     and named by the x-shipengine-rsa-sha256-key-id header. Its
//     resource_url points at api.shipstation.com; the gateway applies no
//     host policy, but the [V2Client] checks it ([ResourcePolicy.CheckV2])
//     before it sends the V2 API key.
//
// [SignV2] and [JWKS] produce signed V2 deliveries and the matching key
// document for tests, the sandbox and `hookstream send`.
package shipstation
