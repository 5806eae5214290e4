package sandbox

import (
	"net/url"
	"strconv"
	"strings"
)

// queryParam returns the first value of name, matched without regard to
// case as ShipStation does (storeID, storeId).
func queryParam(q url.Values, name string) string {
	if v := q.Get(name); v != "" {
		return v
	}
	for k, vs := range q {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// pagingParams reads page (default 1) and pageSize (default 100, at most
// 500; larger values are capped).
func pagingParams(q url.Values) (page, pageSize int, ok bool) {
	page, pageSize = 1, shipStationDefaultPageSize
	if v := queryParam(q, "page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return 0, 0, false
		}
		page = n
	}
	if v := queryParam(q, "pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		pageSize = min(n, shipStationMaxPageSize)
	}
	return page, pageSize, true
}
