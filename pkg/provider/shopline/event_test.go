package shopline_test

import (
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/provider/shopline"
)

func TestShopID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, source, ext, want string
	}{
		{"extension", "/shopline/shops/1", "2", "2"},
		{"source", "/shopline/shops/1610418123456", "", "1610418123456"},
		{"a named account's source", "/shopline/accounts/east/shops/1610418999999", "", "1610418999999"},
		{"another source", "/snipcart", "", ""},
		{"a longer path", "/shopline/shops/1/x", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := event.New()
			e.SetSource(tc.source)
			if tc.ext != "" {
				e.SetExtension("shopid", tc.ext)
			}
			if got := shopline.ShopID(&e); got != tc.want {
				t.Errorf("ShopID = %q, want %q", got, tc.want)
			}
		})
	}
}
