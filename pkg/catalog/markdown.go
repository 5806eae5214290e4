package catalog

import (
	"fmt"
	"strings"
)

// Markdown renders the table for docs/catalog.md: one line per event type with
// the provider's name, the subject (a canonical event's followed by its
// entity's key), the CloudEvents type and the schema. A test keeps the
// copy there identical to this output. Schema links are relative to docs/.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| stream | provider | event | subject | CloudEvents type | schema |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, et := range table {
		subject := et.Subject
		if et.Canonical() {
			subject += ".<key>"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` | `%s` | [%s](../schemas/%s) |\n",
			et.Stream, et.Provider, et.Event, subject, et.Type, et.Schema[strings.LastIndex(et.Schema, "/")+1:], et.Schema)
	}
	return b.String()
}
