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
	"github.com/hookstream/hookstream/pkg/sandbox"
)

// sendMany is `hookstream send -n N -drop P` for a ShipStation V1 event:
// N new batches are created at the API sandbox (each with a fresh batch id
// in the example's resource_url), and the webhooks of all but a share P of
// them are delivered. The dropped ones are spread evenly, round(N×P) in
// all; the reconciler of `hookstream dev` finds their resources.
func (o sendOptions) sendMany(ctx context.Context, et catalog.EventType, example []byte, stdout io.Writer) error {
	switch {
	case et.Provider != catalog.ShipStation || strings.HasSuffix(et.Event, "_V2"):
		return errors.New("-n and -drop are for ShipStation V1 events: the sandbox creates only those resources")
	case o.shipstationAPI == "":
		return errors.New("-n and -drop need -shipstation-api, the sandbox that records the batches")
	case o.n < 1 || o.n > 10_000:
		return fmt.Errorf("-n %d: want 1 to 10000", o.n)
	case o.drop < 0 || o.drop > 1 || math.IsNaN(o.drop):
		return fmt.Errorf("-drop %v: want a share from 0 to 1", o.drop)
	}
	delivered, dropped := 0, 0
	for i := range o.n {
		body, err := freshBatch(example, o.shipstationAPI)
		if err != nil {
			return err
		}
		if err := o.createAtSandbox(ctx, body); err != nil {
			return err
		}
		if math.Round(float64(i+1)*o.drop) > math.Round(float64(i)*o.drop) {
			dropped++
			fmt.Fprintf(stdout, "%s %s → dropped (created at the sandbox, not delivered)\n", et.Provider, et.Event)
			continue
		}
		if err := o.send(ctx, et, body, nil, stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		delivered++
	}
	fmt.Fprintf(stdout, "%d batches created, %d webhooks delivered, %d dropped: the reconciler finds the dropped ones' resources\n", o.n, delivered, dropped)
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

// createAtSandbox records the webhook's batch at the API sandbox.
func (o sendOptions) createAtSandbox(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.shipstationAPI, "/")+sandbox.ShipStationCreatePath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ShipStation API sandbox (is `hookstream dev` running?): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("ShipStation API sandbox answered %s: %s", resp.Status, msg)
	}
	return nil
}
