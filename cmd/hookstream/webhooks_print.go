package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/hookstream/hookstream/pkg/provider/shipstation"
	"github.com/hookstream/hookstream/pkg/provider/subscriptions"
)

// wrongness says how a wrong subscription differs from the wanted one.
func wrongness(r subscriptions.Repair) string {
	switch {
	case r.Want.Version != "" && r.Have.Version != r.Want.Version:
		return "api_version " + r.Have.Version + ", want " + r.Want.Version
	case strings.Contains(r.Want.URL, shipstation.V1TokenParam+"="):
		return "the token or query differs from SHIPSTATION_WEBHOOK_TOKEN's"
	default:
		return "the query differs; want " + redactURL(r.Want.URL)
	}
}

func printChanges(w io.Writer, p hookProvider, changes []subscriptions.Change) {
	for _, c := range changes {
		fmt.Fprintf(w, "%s: %s %s (%sid %s) %s\n", p.label, c.Action, c.Event, p.store(c.StoreID), c.ID, redactURL(c.URL))
	}
}

func printSkipped(w io.Writer, providers []hookProvider) {
	for _, p := range providers {
		if p.api == nil {
			fmt.Fprintf(w, "%s: skipped, %s\n", p.label, p.unset)
		}
	}
}

// printSnipcart says what to set by hand: Snipcart has no webhook API.
func printSnipcart(w io.Writer, target string) {
	if target == "" {
		return
	}
	fmt.Fprintf(w, `snipcart: no webhook API; set by hand in the dashboard (Account → Webhooks, Live and Test mode):
  webhooks URL  %s
  (the field takes several URLs separated by ';': keep any other system's, add this one)
`, target)
}

// storeName is a ShipStation store for the reports; SHOPLINE's
// subscriptions belong to the token's store.
func storeName(id string) string {
	if id == "" {
		return "all"
	}
	return id
}

// redactURL hides the V1 token of a URL (any "token" query parameter):
// listed subscriptions carry it in their URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	q := u.Query()
	if !q.Has(shipstation.V1TokenParam) {
		return raw
	}
	q.Set(shipstation.V1TokenParam, "REDACTED")
	u.RawQuery = q.Encode()
	return u.String()
}

// redact replaces every secret in s.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "REDACTED")
			s = strings.ReplaceAll(s, url.QueryEscape(secret), "REDACTED")
		}
	}
	return s
}

// redactingWriter is the command's output with the secrets replaced, a
// last guard behind redactURL: no line it prints holds a credential.
type redactingWriter struct {
	w       io.Writer
	secrets []string
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, redact(string(p), r.secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}
