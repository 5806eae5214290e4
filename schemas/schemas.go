// Package schemas embeds hookstream's JSON Schemas (one per event data
// shape: provider webhooks under webhooks/, hookstream's canonical events
// under canonical/), the example bodies under examples/ that
// `hookstream send` posts, and the AsyncAPI document (asyncapi.json, built
// from pkg/catalog by AsyncAPI). Paths are the ones pkg/catalog names.
package schemas

import "embed"

// FS holds the schema files and examples, at the paths catalog.EventType's
// Schema and Example fields give, and the AsyncAPI document at
// AsyncAPIFile.
//
//go:embed webhooks examples canonical reconciled asyncapi.json
var FS embed.FS
