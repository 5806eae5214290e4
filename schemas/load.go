package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// BaseURL is the base of every schema's $id: the file webhooks/x.schema.json
// declares "$id": BaseURL + "webhooks/x.schema.json". Compile registers each
// file under that URL, so a relative $ref such as
// "snipcart-order.schema.json#/$defs/mode" resolves inside FS and nothing is
// ever fetched from the network.
const BaseURL = "https://hookstream.dev/schemas/"

// SchemaDir is the directory of FS that holds the JSON Schemas.
const SchemaDir = "webhooks"

// schemaDirs are the directories of FS whose schema files Compile registers
// and accepts: the provider webhooks', hookstream's own canonical events'
// (canonical/order.schema.json) and the resources the reconciler finds
// (reconciled/shipstation-order.schema.json).
var schemaDirs = []string{SchemaDir, "canonical", "reconciled"}

// headersSuffix names the optional file of provider headers that goes with an
// example body: examples/p/x.json → examples/p/x.headers.json.
const headersSuffix = ".headers.json"

// Example returns the example body of an event type (et.Example, a path in
// FS) and, when the example has a sibling <name>.headers.json, the
// non-secret provider headers to send with it (SHOPLINE's X-Shopline-Topic,
// X-Shopline-Shop-Id, ...). headers is nil when there is no such file. The
// headers never include a signature: a sender computes it for the body.
//
// An event type that is not in the catalog has no example; Example then
// returns an error wrapping fs.ErrNotExist. A caller may point et.Example at
// an example that is not a catalog row's, such as
// examples/shopline/fulfillment_order.update.released.json.
func Example(et catalog.EventType) (body []byte, headers map[string]string, err error) {
	if et.Example == "" {
		return nil, nil, fmt.Errorf("schemas: event type %q has no example: %w", et.Type, fs.ErrNotExist)
	}
	body, err = fs.ReadFile(FS, et.Example)
	if err != nil {
		return nil, nil, fmt.Errorf("schemas: example of %q: %w", et.Type, err)
	}
	hp := strings.TrimSuffix(et.Example, ".json") + headersSuffix
	raw, err := fs.ReadFile(FS, hp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return body, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("schemas: example headers of %q: %w", et.Type, err)
	}
	if err := json.Unmarshal(raw, &headers); err != nil {
		return nil, nil, fmt.Errorf("schemas: example headers %s: %w", hp, err)
	}
	return body, headers, nil
}

// EditedExample returns the example body of provider's event with edit
// applied to its top-level members (a member set to nil is null), for tests
// that need the provider's payload with a twist.
func EditedExample(provider, event string, edit map[string]any) ([]byte, error) {
	et, err := catalog.Webhook(provider, event)
	if err != nil {
		return nil, err
	}
	body, _, err := Example(et)
	if err != nil || len(edit) == 0 {
		return body, err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("schemas: example of %q: %w", et.Type, err)
	}
	for k, v := range edit {
		doc[k] = v
	}
	return json.Marshal(doc)
}

// broken holds the negative fixtures: request bodies from the providers'
// documentation that are not valid JSON (see testdata/broken/README.md).
//
//go:embed testdata/broken/*.json
var broken embed.FS

// Broken returns the broken bodies of the seed documents, by file name
// (snipcart-order.status.changed.json, ...): bodies a gateway must refuse
// as malformed. Each call returns fresh copies.
func Broken() (map[string][]byte, error) {
	entries, err := fs.Glob(broken, "testdata/broken/*.json")
	if err != nil {
		return nil, fmt.Errorf("schemas: broken fixtures: %w", err)
	}
	out := make(map[string][]byte, len(entries))
	for _, p := range entries {
		b, err := fs.ReadFile(broken, p)
		if err != nil {
			return nil, fmt.Errorf("schemas: broken fixtures: %w", err)
		}
		out[path.Base(p)] = b
	}
	return out, nil
}

var compiled struct {
	sync.Mutex
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
}

// Compile returns the JSON Schema at p, a path in FS such as a catalog row's
// Schema ("webhooks/shipstation-v1.schema.json"), compiled with format
// assertions on (uri, date-time, email are checked, not just annotated).
// Every schema file under SchemaDir and canonical/ is registered first, so
// $refs between them work. The result is cached: every call with the same
// path returns the same *jsonschema.Schema, which is safe for concurrent use.
//
// Validate documents decoded with jsonschema.UnmarshalJSON (or a
// json.Decoder with UseNumber): the validator expects json.Number for
// numbers. A path that is not a schema file in FS gives an error wrapping
// fs.ErrNotExist.
func Compile(p string) (*jsonschema.Schema, error) {
	if !fs.ValidPath(p) || !slices.Contains(schemaDirs, path.Dir(p)) || !strings.HasSuffix(p, ".json") {
		return nil, fmt.Errorf("schemas: %q is not a schema path under %v: %w", p, schemaDirs, fs.ErrNotExist)
	}
	compiled.Lock()
	defer compiled.Unlock()
	if s, ok := compiled.schemas[p]; ok {
		return s, nil
	}
	if _, err := fs.Stat(FS, p); err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	if compiled.c == nil {
		c, err := newCompiler()
		if err != nil {
			return nil, err
		}
		compiled.c = c
		compiled.schemas = make(map[string]*jsonschema.Schema)
	}
	s, err := compiled.c.Compile(BaseURL + p)
	if err != nil {
		compiled.c = nil // start from a clean compiler next time
		return nil, fmt.Errorf("schemas: compile %s: %w", p, err)
	}
	compiled.schemas[p] = s
	return s, nil
}

// newCompiler returns a compiler that knows every schema file in FS and
// nothing else: no loader is set, so a $ref outside FS fails to compile
// instead of reaching the network.
func newCompiler() (*jsonschema.Compiler, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, dir := range schemaDirs {
		err := fs.WalkDir(FS, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			raw, err := fs.ReadFile(FS, p)
			if err != nil {
				return err
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			return c.AddResource(BaseURL+p, doc)
		})
		if err != nil {
			return nil, fmt.Errorf("schemas: load schema files: %w", err)
		}
	}
	return c, nil
}
