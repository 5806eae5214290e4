package shipstation

import (
	"net/url"
	"testing"
)

// firstQueryValue must agree with url.URL.Query().Get on every query.
func FuzzFirstQueryValue(f *testing.F) {
	for _, q := range []string{
		"storeID=123", "a=1&storeID=7&storeID=8", "storeID=&storeId=9", "storeID", "=x&storeID==5",
		"storeID=1%32", "store%49D=3", "storeID=1;storeId=2", "storeID=+1", "&&storeID=4&", "storeid=5",
	} {
		f.Add(q, "storeID")
	}
	f.Fuzz(func(t *testing.T, rawQuery, name string) {
		want := (&url.URL{RawQuery: rawQuery}).Query().Get(name)
		if got := firstQueryValue(rawQuery, name); got != want {
			t.Errorf("firstQueryValue(%q, %q) = %q, url.Query gives %q", rawQuery, name, got, want)
		}
	})
}
