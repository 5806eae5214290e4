// Package schemas embeds hookstream's JSON Schemas (one per event data
// shape, under webhooks/), the example bodies under examples/ that
// `hookstream send` posts, and the AsyncAPI document. Paths are the ones
// pkg/catalog names.
package schemas

import "embed"

// FS holds the schema files and examples, at the paths catalog.EventType's
// Schema and Example fields give.
//
//go:embed webhooks examples canonical
var FS embed.FS
