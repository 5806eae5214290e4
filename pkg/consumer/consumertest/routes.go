package consumertest

import (
	"testing"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/consumer"
)

// CheckRoutes fails the test unless every webhook type the routes handle
// passes their filter subjects and every one that passes them is handled:
// each catalogued webhook and reconciled resource, and an uncatalogued sibling of each (its name
// with one more token), which a family route takes. It also fails on
// filter subjects JetStream would refuse (empty, or overlapping).
func CheckRoutes(t testing.TB, rs *consumer.Routes) {
	t.Helper()
	filters := rs.FilterSubjects()
	if len(filters) == 0 {
		t.Error("the routes have no filter subject")
	}
	for i, a := range filters {
		for _, b := range filters[i+1:] {
			if subjectMatches(a, b) || subjectMatches(b, a) {
				t.Errorf("filter subjects %s and %s overlap", a, b)
			}
		}
	}
	consumed := func(subject string) bool {
		for _, f := range filters {
			if subjectMatches(f, subject) {
				return true
			}
		}
		return false
	}
	handled := 0
	for _, et := range append(catalog.Webhooks(), catalog.Reconciliations()...) {
		for _, c := range []struct{ typ, subject string }{{et.Type, et.Subject}, {et.Type + ".not_catalogued", et.Subject + ".not_catalogued"}} {
			h, f := rs.Handles(c.typ), consumed(c.subject)
			if h != f {
				t.Errorf("%s: handled %t but consumed %t (filters %v)", c.subject, h, f, filters)
			}
			if h {
				handled++
			}
		}
	}
	if handled == 0 {
		t.Error("the routes handle no catalogued webhook")
	}
}
