package schemas_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/schemas"
)

var update = flag.Bool("update", false, "rewrite asyncapi.json from the catalog")

// TestAsyncAPIDocument keeps asyncapi.json identical to what AsyncAPI
// builds from the catalog (go test -run AsyncAPI -update rewrites it), and
// the embedded copy identical to the file.
func TestAsyncAPIDocument(t *testing.T) {
	got, err := schemas.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemas.AsyncAPIFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemas.AsyncAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s drifted from the catalog: go test ./schemas -run AsyncAPI -update", schemas.AsyncAPIFile)
	}
	// The test binary embeds the file as it was when it was built: after
	// -update, the next run checks the new one.
	if embedded, err := fs.ReadFile(schemas.FS, schemas.AsyncAPIFile); !*update && (err != nil || !bytes.Equal(embedded, want)) {
		t.Errorf("the embedded %s is not the file (%v)", schemas.AsyncAPIFile, err)
	}
	again, err := schemas.AsyncAPI()
	if err != nil || !bytes.Equal(again, got) {
		t.Error("AsyncAPI is not deterministic")
	}
}

// asyncDoc is what TestAsyncAPICoversTheCatalog reads back.
type asyncDoc struct {
	Channels map[string]struct {
		Address    string         `json:"address"`
		Messages   map[string]ref `json:"messages"`
		Parameters map[string]any `json:"parameters"`
		Stream     string         `json:"x-jetstream-stream"`
	} `json:"channels"`
	Operations map[string]struct {
		Action  string `json:"action"`
		Channel ref    `json:"channel"`
	} `json:"operations"`
	Components struct {
		Messages map[string]struct {
			Headers struct {
				AllOf []struct {
					Ref        string `json:"$ref"`
					Properties map[string]struct {
						Const string `json:"const"`
					} `json:"properties"`
				} `json:"allOf"`
			} `json:"headers"`
			Payload struct {
				Schema ref `json:"schema"`
			} `json:"payload"`
		} `json:"messages"`
	} `json:"components"`
}

type ref struct {
	Ref string `json:"$ref"`
}

// TestAsyncAPICoversTheCatalog reads the document back and checks it
// against the catalog row by row: every subject has a channel (canonical
// events with the {entity} parameter), a send operation and its type's
// message, whose payload is the row's schema file and whose ce-type and
// ce-dataschema headers are the row's type and that file's $id.
func TestAsyncAPICoversTheCatalog(t *testing.T) {
	raw, err := schemas.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc asyncDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rows := catalog.All()
	if len(doc.Channels) != len(rows) || len(doc.Operations) != len(rows) {
		t.Errorf("%d channels and %d operations for %d catalog rows", len(doc.Channels), len(doc.Operations), len(rows))
	}
	for _, et := range rows {
		ch, ok := doc.Channels[et.Subject]
		if !ok {
			t.Errorf("no channel for %s", et.Subject)
			continue
		}
		wantAddr := et.Subject
		if et.Canonical() {
			wantAddr += ".{entity}"
			if _, ok := ch.Parameters["entity"]; !ok {
				t.Errorf("%s: no entity parameter", et.Subject)
			}
		}
		if ch.Address != wantAddr || ch.Stream != et.Stream {
			t.Errorf("%s: address %q in %s, want %q in %s", et.Subject, ch.Address, ch.Stream, wantAddr, et.Stream)
		}
		if r := ch.Messages[et.Type].Ref; r != "#/components/messages/"+et.Type {
			t.Errorf("%s: message %q", et.Subject, r)
		}
		if op := doc.Operations["send."+et.Subject]; op.Action != "send" || op.Channel.Ref != "#/channels/"+et.Subject {
			t.Errorf("%s: operation %+v", et.Subject, op)
		}
		m, ok := doc.Components.Messages[et.Type]
		if !ok {
			t.Errorf("no message %s", et.Type)
			continue
		}
		if m.Payload.Schema.Ref != "./"+et.Schema {
			t.Errorf("%s: payload %q, want ./%s", et.Type, m.Payload.Schema.Ref, et.Schema)
		}
		var consts map[string]struct {
			Const string `json:"const"`
		}
		for _, part := range m.Headers.AllOf {
			if part.Properties != nil {
				consts = part.Properties
			}
		}
		if consts["ce-type"].Const != et.Type {
			t.Errorf("%s: ce-type header %q", et.Type, consts["ce-type"].Const)
		}
		if et.Canonical() {
			if id := schemaID(t, et.Schema); consts["ce-dataschema"].Const != id {
				t.Errorf("%s: ce-dataschema %q, the schema's $id is %q", et.Type, consts["ce-dataschema"].Const, id)
			}
		}
	}
}

// schemaID returns the $id of a schema file in FS.
func schemaID(t *testing.T, p string) string {
	t.Helper()
	raw, err := fs.ReadFile(schemas.FS, path.Clean(p))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || !strings.HasSuffix(s.ID, p) {
		t.Fatalf("%s: $id %q (%v)", p, s.ID, err)
	}
	return s.ID
}

// draft2020Only are the keywords draft 2020-12 has and draft-07 lacks (or
// reads differently).
var draft2020Only = []string{
	"prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
	"dependentSchemas", "$anchor", "$dynamicRef", "$dynamicAnchor", "minContains", "maxContains",
}

// TestSchemasReadTheSameAsDraft07: the document declares its payloads as
// draft-07, the only JSON Schema version the AsyncAPI parser knows, while
// the files are written for draft 2020-12. That is sound only while the
// files use no keyword that draft-07 lacks and no $ref beside other
// assertions (draft-07 ignores a $ref's siblings); this test holds them to
// it.
func TestSchemasReadTheSameAsDraft07(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"webhooks", "canonical"} {
		files, err := fs.Glob(schemas.FS, dir+"/*.json")
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v (%d files)", dir, err, len(files))
		}
		for _, p := range files {
			raw, err := fs.ReadFile(schemas.FS, p)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			walkSchema(doc, "", func(at string, node map[string]any) {
				for _, k := range draft2020Only {
					if _, ok := node[k]; ok {
						t.Errorf("%s%s: %s is not in draft-07", p, at, k)
					}
				}
				if _, ok := node["$ref"]; !ok {
					return
				}
				for k := range node {
					switch k {
					case "$ref", "description", "title", "$comment", "examples":
					default:
						t.Errorf("%s%s: %s beside $ref is ignored by draft-07", p, at, k)
					}
				}
			})
		}
	}
}

// walkSchema calls f on every object in a JSON document, with its JSON
// Pointer.
func walkSchema(n any, at string, f func(at string, node map[string]any)) {
	switch n := n.(type) {
	case map[string]any:
		f(at, n)
		for k, v := range n {
			walkSchema(v, at+"/"+k, f)
		}
	case []any:
		for i, v := range n {
			walkSchema(v, at+"/"+strconv.Itoa(i), f)
		}
	}
}
