package schemas_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/model"
	"github.com/hookstream/hookstream/schemas"
)

// The checks every canonical schema gets (canonical_test.go for orders,
// shipment_test.go, hold_test.go): the file itself, its enums against
// pkg/model, the normalisers' records against it, and hand-broken and
// hand-bent records against it and the model's Validate.

// canonicalRecord is a canonical model record: model.Order,
// model.Shipment, model.FulfillmentHold.
type canonicalRecord interface{ Validate() error }

// checkCanonicalSchemaFile checks the canonical schema file p the way
// TestSchemaFiles checks the webhook schemas (draft 2020-12, the $id
// Compile registers it under, a title and a description, it compiles), and
// that the record, which the messages call what, refuses members it does
// not define.
func checkCanonicalSchemaFile(t *testing.T, p, what string) {
	t.Helper()
	raw, err := fs.ReadFile(schemas.FS, p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema               string `json:"$schema"`
		ID                   string `json:"$id"`
		Title                string `json:"title"`
		Description          string `json:"description"`
		AdditionalProperties *bool  `json:"additionalProperties"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", doc.Schema)
	}
	if want := schemas.BaseURL + p; doc.ID != want {
		t.Errorf("$id = %q, want %q", doc.ID, want)
	}
	if doc.Title == "" || doc.Description == "" {
		t.Error("title and description are required")
	}
	if doc.AdditionalProperties == nil || *doc.AdditionalProperties {
		t.Errorf("the %s must have additionalProperties false", what)
	}
	if _, err := schemas.Compile(p); err != nil {
		t.Fatalf("Compile: %v", err)
	}
}

// checkStreamRows checks that every catalog row of stream names the schema
// p, and returns how many rows it has.
func checkStreamRows(t *testing.T, stream, p string) (rows int) {
	t.Helper()
	for _, row := range catalog.All() {
		if row.Stream != stream {
			continue
		}
		rows++
		if row.Schema != p {
			t.Errorf("%s has schema %q, want %q", row.Subject, row.Schema, p)
		}
	}
	return rows
}

// schemaNode is the part of a JSON Schema that holds enums.
type schemaNode struct {
	Enum       []string               `json:"enum"`
	Properties map[string]*schemaNode `json:"properties"`
	Items      *schemaNode            `json:"items"`
}

// checkEnums checks that the enums of the schema p are pkg/model's, value
// for value, so neither can gain a value the other refuses. want is keyed
// by dotted property path; a path goes through an array's items
// ("holds.normalised_reason" is the normalised_reason of each hold).
func checkEnums(t *testing.T, p string, want map[string][]string) {
	t.Helper()
	raw, err := fs.ReadFile(schemas.FS, p)
	if err != nil {
		t.Fatal(err)
	}
	var root schemaNode
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	for prop, want := range want {
		n := &root
		for key := range strings.SplitSeq(prop, ".") {
			if n.Properties == nil && n.Items != nil {
				n = n.Items
			}
			if n = n.Properties[key]; n == nil {
				break
			}
		}
		var got []string
		if n != nil {
			got = n.Enum
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, pkg/model has %v", prop, got, want)
		}
	}
}

// enumStrings returns a model enum's values as strings.
func enumStrings[S ~string](values []S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// checkRecordsValid checks, in a parallel subtest per name, that each
// record passes its own Validate and, marshalled, the schema p.
func checkRecordsValid[R canonicalRecord](t *testing.T, p string, records map[string]R) {
	t.Helper()
	sch, err := schemas.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range records {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := r.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(decode(t, b)); err != nil {
				t.Errorf("the %T of %s does not validate: %v\n%s", r, name, err, b)
			}
		})
	}
}

// refuseCase breaks a valid record one way.
type refuseCase struct {
	name   string
	mutate func(map[string]any)
	goToo  bool // the record's Validate must refuse it too
}

// checkRefused runs each case in a parallel subtest on a copy of base (a
// valid record, which is checked first): the schema p must refuse the
// broken document and, where the case says goToo, so must the Validate of
// the R it decodes into.
func checkRefused[R canonicalRecord](t *testing.T, p string, base R, cases []refuseCase) {
	t.Helper()
	sch, err := schemas.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	baseJSON := mustJSON(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(baseJSON), &doc); err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(roundTrip(t, doc)); err != nil {
				t.Fatalf("the unchanged %T is already invalid: %v", base, err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err == nil {
				t.Errorf("schema accepted %s", b)
			}
			if tc.goToo {
				var r R
				if err := json.Unmarshal([]byte(b), &r); err != nil {
					t.Fatalf("does not decode into %T: %v", r, err)
				}
				if err := r.Validate(); !errors.Is(err, model.ErrInvalid) {
					t.Errorf("%T.Validate() = %v, want ErrInvalid", r, err)
				}
			}
		})
	}
}

// acceptCase bends a valid record one way it may be bent.
type acceptCase struct {
	name   string
	mutate func(map[string]any)
}

// checkAccepted pins what the schema p allows on purpose: each case, in a
// parallel subtest on a copy of base, must pass the schema and the
// Validate of the R it decodes into.
func checkAccepted[R canonicalRecord](t *testing.T, p string, base R, cases []acceptCase) {
	t.Helper()
	sch, err := schemas.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	baseJSON := mustJSON(t, base)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal([]byte(baseJSON), &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			b := mustJSON(t, doc)
			if err := sch.Validate(decode(t, []byte(b))); err != nil {
				t.Errorf("schema refused %s: %v", b, err)
			}
			var r R
			if err := json.Unmarshal([]byte(b), &r); err != nil {
				t.Fatal(err)
			}
			if err := r.Validate(); err != nil {
				t.Errorf("%T.Validate(): %v", r, err)
			}
		})
	}
}
