package model

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Carrier is a normalised carrier code: the same carrier gets the same code
// whichever provider and whichever of its accounts named it (ShipStation
// shipments say "stamps_com", "endicia" or "usps" for USPS labels, its
// fulfillments say "USPS"). Shipment.RawCarrier keeps the provider's word.
type Carrier string

// Carriers.
const (
	CarrierUSPS          Carrier = "usps"
	CarrierUPS           Carrier = "ups"
	CarrierFedEx         Carrier = "fedex"
	CarrierDHLExpress    Carrier = "dhl_express"
	CarrierDHLECommerce  Carrier = "dhl_ecommerce"
	CarrierCanadaPost    Carrier = "canada_post"
	CarrierRoyalMail     Carrier = "royal_mail"
	CarrierAustraliaPost Carrier = "australia_post"
	CarrierOnTrac        Carrier = "ontrac"
	CarrierPurolator     Carrier = "purolator"
	// CarrierOther is any carrier this table does not know, and a shipment
	// whose provider names none.
	CarrierOther Carrier = "other"
)

// Carriers returns every Carrier, in the order of the canonical shipment
// schema's enum.
func Carriers() []Carrier {
	return []Carrier{
		CarrierUSPS, CarrierUPS, CarrierFedEx, CarrierDHLExpress, CarrierDHLECommerce,
		CarrierCanadaPost, CarrierRoyalMail, CarrierAustraliaPost, CarrierOnTrac,
		CarrierPurolator, CarrierOther,
	}
}

// Valid reports whether c is one of Carriers.
func (c Carrier) Valid() bool { return slices.Contains(Carriers(), c) }

// carrierAliases maps a carrier name, folded by carrierKey, to its code:
// ShipStation's carrier codes (shipments), its display names
// (fulfillments), and the names merchants type into Snipcart. Every code
// is also an alias of itself.
var carrierAliases = carrierAliasTable(map[Carrier][]string{
	// USPS, directly or through a postage reseller whose labels are USPS's.
	CarrierUSPS:  {"usps", "stamps_com", "stamps", "endicia", "u_s_postal_service", "us_postal_service", "united_states_postal_service"},
	CarrierUPS:   {"ups", "united_parcel_service"},
	CarrierFedEx: {"fedex", "federal_express", "fedex_uk"},
	// A bare "DHL" is DHL's express network, which is what the name means
	// for a tracked parcel; DHL eCommerce always says so.
	CarrierDHLExpress:    {"dhl_express", "dhl"},
	CarrierDHLECommerce:  {"dhl_ecommerce", "dhl_global_mail", "dhl_ecommerce_solutions"},
	CarrierCanadaPost:    {"canada_post", "canadapost", "postes_canada"},
	CarrierRoyalMail:     {"royal_mail", "royalmail"},
	CarrierAustraliaPost: {"australia_post", "auspost"},
	CarrierOnTrac:        {"ontrac"},
	CarrierPurolator:     {"purolator", "purolator_ca"},
	CarrierOther:         {"other"},
})

func carrierAliasTable(names map[Carrier][]string) map[string]Carrier {
	out := map[string]Carrier{}
	for c, aliases := range names {
		for _, a := range aliases {
			out[a] = c
		}
	}
	return out
}

// NormaliseCarrier returns the Carrier for a provider's carrier name, or
// CarrierOther when it is empty or unknown. The name is folded first:
// lower case, every run of characters other than letters and digits
// becomes one '_' ("Stamps.com" → stamps_com, "DHL eCommerce" →
// dhl_ecommerce). ShipStation's account variants are the carrier itself:
// a "_walleted" suffix (a ShipStation-funded account) is dropped, and every
// "dhl_express_<region>" (dhl_express_worldwide, dhl_express_uk, …) is
// DHL Express. A Carrier's own code normalises to itself.
func NormaliseCarrier(raw string) Carrier {
	key := carrierKey(raw)
	key = strings.TrimSuffix(key, "_walleted")
	if c, ok := carrierAliases[key]; ok {
		return c
	}
	if strings.HasPrefix(key, "dhl_express_") {
		return CarrierDHLExpress
	}
	return CarrierOther
}

// carrierKey folds a carrier name: lower case, runs of other characters
// than letters and digits become one '_', none at either end.
func carrierKey(raw string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(raw) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(r)
			continue
		}
		sep = true
	}
	return b.String()
}

// trackingPages are the public tracking pages of the carriers that have
// one at a stable address: the URL up to the tracking number, and whether
// the number goes into a query (escaped with url.QueryEscape) or a path
// segment (url.PathEscape).
var trackingPages = map[Carrier]struct {
	prefix string
	path   bool
}{
	CarrierUSPS:          {prefix: "https://tools.usps.com/go/TrackConfirmAction?tLabels="},
	CarrierUPS:           {prefix: "https://www.ups.com/track?tracknum="},
	CarrierFedEx:         {prefix: "https://www.fedex.com/fedextrack/?trknbr="},
	CarrierDHLExpress:    {prefix: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id="},
	CarrierCanadaPost:    {prefix: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor="},
	CarrierRoyalMail:     {prefix: "https://www.royalmail.com/track-your-item?trackNumber="},
	CarrierAustraliaPost: {prefix: "https://auspost.com.au/mypost/track/details/", path: true},
}

// TrackingURL returns the public tracking page of a parcel: carrier is a
// provider's carrier name or a Carrier (it goes through NormaliseCarrier,
// so "stamps_com", "endicia", "USPS" and "usps" all give USPS's page).
// The number loses its whitespace (carriers print numbers in groups, "AB
// 1234 5678 9GB") and is escaped for where it goes in the URL.
//
// Carriers without a known page (CarrierOther, and those hookstream
// recognises but has no stable page for) and an empty number give "": no
// link rather than a wrong one.
func TrackingURL(carrier, number string) string {
	number = strings.Join(strings.Fields(number), "")
	page, ok := trackingPages[NormaliseCarrier(carrier)]
	if !ok || number == "" {
		return ""
	}
	if page.path {
		return page.prefix + url.PathEscape(number)
	}
	return page.prefix + url.QueryEscape(number)
}

// carrierFromTrackingURL recognises a carrier from the host of a tracking
// page, for providers that give a tracking URL but no usable carrier name.
// It returns CarrierOther when the host is not a known carrier's.
func carrierFromTrackingURL(raw string) Carrier {
	u, err := url.Parse(raw)
	if err != nil {
		return CarrierOther
	}
	host := strings.ToLower(u.Hostname())
	for domain, c := range carrierDomains {
		if host == domain || strings.HasSuffix(host, "."+domain) {
			return c
		}
	}
	return CarrierOther
}

// carrierDomains are the carriers' own domains. dhl.com is not one of
// them: it serves every DHL business, so it does not say which.
var carrierDomains = map[string]Carrier{
	"usps.com": CarrierUSPS, "ups.com": CarrierUPS, "fedex.com": CarrierFedEx,
	"canadapost.ca": CarrierCanadaPost, "canadapost-postescanada.ca": CarrierCanadaPost,
	"royalmail.com": CarrierRoyalMail, "auspost.com.au": CarrierAustraliaPost,
	"ontrac.com": CarrierOnTrac, "purolator.com": CarrierPurolator,
}
