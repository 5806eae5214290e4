package schemas_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/schemas"
)

// eventsDoc is the subscribers' contract, written by hand.
var eventsDoc = filepath.Join("..", "docs", "events.md")

// TestEventsDocNamesEveryCanonicalEvent keeps docs/events.md in step with
// the catalog: every canonical type, every canonical subject (as
// <subject>.<key>), every schema file and the AsyncAPI document are named.
func TestEventsDocNamesEveryCanonicalEvent(t *testing.T) {
	raw, err := os.ReadFile(eventsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	want := []string{"../schemas/" + schemas.AsyncAPIFile}
	for _, et := range catalog.All() {
		if !et.Canonical() {
			continue
		}
		want = append(want, "`"+et.Type+"`", "`"+et.Subject+".<key>`", "../schemas/"+et.Schema, "`"+schemas.BaseURL+et.Schema+"`")
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("%s does not name %s", eventsDoc, w)
		}
	}
}
