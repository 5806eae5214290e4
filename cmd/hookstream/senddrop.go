package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider/shopline"
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// sendMany is `hookstream send -n N -drop P` for a ShipStation V1 event,
// Snipcart's order.completed or a SHOPLINE orders/* topic whose body is the
// order: N new resources are created at the sandbox (ShipStation batches
// with a fresh batch id in the example's resource_url, Snipcart orders with
// a fresh token, SHOPLINE orders with a fresh id in the store of the dev
// access token), and the webhooks of all but a share P of them are
// delivered. The dropped ones are spread evenly, round(N×P) in all; the
// reconciler of `hookstream dev` finds their resources.
func (o sendOptions) sendMany(ctx context.Context, et catalog.EventType, example []byte, exampleHeaders map[string]string, stdout io.Writer) error {
	var create func(ctx context.Context) ([]byte, map[string]string, error)
	switch {
	case et.Provider == catalog.ShipStation && !strings.HasSuffix(et.Event, "_V2") && o.shipstationAPI != "":
		create = func(ctx context.Context) ([]byte, map[string]string, error) {
			body, err := freshBatch(example, o.shipstationAPI)
			if err != nil {
				return nil, nil, err
			}
			return body, nil, o.postToSandbox(ctx, strings.TrimRight(o.shipstationAPI, "/")+sandbox.ShipStationCreatePath, body, "")
		}
	case et.Provider == catalog.Snipcart && et.Event == "order.completed":
		create = func(ctx context.Context) ([]byte, map[string]string, error) {
			body, order, err := freshSnipcartOrder(example)
			if err != nil {
				return nil, nil, err
			}
			return body, nil, o.postToSandbox(ctx, strings.TrimRight(o.sandboxURL, "/")+sandbox.SnipcartPrefix+sandbox.SnipcartOrdersAddPath, order, "")
		}
	case et.Provider == catalog.Shopline && strings.HasPrefix(et.Event, "orders/") && et.Event != "orders/delete":
		create = func(ctx context.Context) ([]byte, map[string]string, error) {
			body, headers, err := freshShoplineOrder(example, exampleHeaders)
			if err != nil {
				return nil, nil, err
			}
			return body, headers, o.postToSandbox(ctx, strings.TrimRight(o.sandboxURL, "/")+sandbox.ShoplinePrefix+sandbox.ShoplineOrdersAddPath, body, devShoplineAccessToken)
		}
	default:
		return errors.New("-n and -drop are for ShipStation V1 events (with -shipstation-api), Snipcart's order.completed and SHOPLINE's orders/* (but orders/delete): the sandbox creates only those resources")
	}
	switch {
	case o.n < 1 || o.n > 10_000:
		return fmt.Errorf("-n %d: want 1 to 10000", o.n)
	case o.drop < 0 || o.drop > 1 || math.IsNaN(o.drop):
		return fmt.Errorf("-drop %v: want a share from 0 to 1", o.drop)
	}
	delivered, dropped := 0, 0
	for i := range o.n {
		body, headers, err := create(ctx)
		if err != nil {
			return err
		}
		if math.Round(float64(i+1)*o.drop) > math.Round(float64(i)*o.drop) {
			dropped++
			fmt.Fprintf(stdout, "%s %s → dropped (created at the sandbox, not delivered)\n", et.Provider, et.Event)
			continue
		}
		if err := o.send(ctx, et, body, headers, stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		delivered++
	}
	fmt.Fprintf(stdout, "%d created, %d webhooks delivered, %d dropped: the reconciler finds the dropped ones' resources\n", o.n, delivered, dropped)
	return nil
}

// freshBatch returns the V1 example with its resource_url on api and a new
// batch id (importBatch for orders, batchId otherwise).
func freshBatch(example []byte, api string) ([]byte, error) {
	body, err := rebaseResourceURL(example, api)
	if err != nil {
		return nil, err
	}
	var hook map[string]string
	if err := json.Unmarshal(body, &hook); err != nil {
		return nil, err
	}
	u, err := url.Parse(hook["resource_url"])
	if err != nil {
		return nil, err
	}
	q := u.Query()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	if strings.HasSuffix(u.Path, "/orders") {
		h := hex.EncodeToString(b[:])
		q.Set("importBatch", h[:8]+"-"+h[8:12]+"-"+h[12:16]+"-"+h[16:20]+"-"+h[20:])
	} else {
		n, err := rand.Int(rand.Reader, big.NewInt(900_000_000))
		if err != nil {
			return nil, err
		}
		q.Set("batchId", fmt.Sprint(100_000_000+n.Int64()))
	}
	u.RawQuery = q.Encode()
	hook["resource_url"] = u.String()
	return json.Marshal(hook)
}

// freshSnipcartOrder returns the order.completed example as a new order:
// a fresh token and invoice number, placed, changed and sent now; and the
// order itself, for the sandbox.
func freshSnipcartOrder(example []byte) (body, order []byte, err error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(example, &env); err != nil {
		return nil, nil, fmt.Errorf("Snipcart sample: %w", err)
	}
	var content map[string]any
	if err := json.Unmarshal(env["content"], &content); err != nil {
		return nil, nil, fmt.Errorf("Snipcart sample content: %w", err)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	token := hex.EncodeToString(b[:])
	content["token"], content["invoiceNumber"] = token, "SNIP-"+strings.ToUpper(token[:8])
	content["creationDate"], content["modificationDate"], content["completionDate"] = now, now, now
	if order, err = json.Marshal(content); err != nil {
		return nil, nil, err
	}
	env["content"] = order
	env["createdOn"], _ = json.Marshal(now)
	body, err = json.Marshal(env)
	return body, order, err
}

// freshShoplineOrder returns the SHOPLINE orders/* example as a new order
// in the example's store: a fresh 26-digit id and name, created and updated
// now; and the example's headers with a fresh X-Shopline-Webhook-Id (the
// example's would make every webhook a duplicate of the first).
func freshShoplineOrder(example []byte, exampleHeaders map[string]string) ([]byte, map[string]string, error) {
	var order map[string]any
	if err := json.Unmarshal(example, &order); err != nil {
		return nil, nil, fmt.Errorf("SHOPLINE sample: %w", err)
	}
	n, err := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(22), nil))
	if err != nil {
		return nil, nil, err
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	order["id"] = fmt.Sprintf("2105%022d", n)
	order["name"] = fmt.Sprintf("#%d", 100_000+new(big.Int).Mod(n, big.NewInt(900_000)).Int64())
	for _, k := range []string{"created_at", "updated_at", "processed_at", "order_at"} {
		order[k] = now
	}
	body, err := json.Marshal(order)
	if err != nil {
		return nil, nil, err
	}
	headers := map[string]string{}
	for k, v := range exampleHeaders {
		headers[k] = v
	}
	headers[shopline.HeaderWebhookID] = hex.EncodeToString(b[:])
	return body, headers, nil
}

// postToSandbox posts body to a sandbox-only route that records a resource,
// with the bearer token when it is not "".
func (o sendOptions) postToSandbox(ctx context.Context, target string, body []byte, bearer string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox (is `hookstream dev` running?): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("sandbox %s answered %s: %s", target, resp.Status, msg)
	}
	return nil
}
