package subscriptions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry limits of every client.
const (
	// maxAttempts bounds the tries of one call answered 429.
	maxAttempts = 5
	// maxRetryWait is the longest wait for a 429 the client sits out.
	maxRetryWait = 65 * time.Second
	// defaultRetryWait is the wait when a 429 names none (SHOPLINE's leaky
	// bucket drains one request in 250 ms).
	defaultRetryWait = time.Second
	// maxAnswer bounds an answer's body.
	maxAnswer = 8 << 20
	// defaultTimeout bounds one request when the HTTP client has none.
	defaultTimeout = 30 * time.Second
)

// APIError is a provider's answer other than 2xx. Message is the
// provider's, cut short; it never holds the credentials, which are only
// ever sent in headers.
type APIError struct {
	Provider, Method, Path string
	Status                 int
	Message                string
}

func (e *APIError) Error() string {
	msg := ""
	if e.Message != "" {
		msg = ": " + e.Message
	}
	return fmt.Sprintf("%s: %s %s: %d %s%s", e.Provider, e.Method, e.Path, e.Status, http.StatusText(e.Status), msg)
}

// Is makes a 404 match ErrNotFound.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// jsonClient sends JSON requests to one provider API with its credentials.
type jsonClient struct {
	provider string
	base     string // no trailing slash
	auth     func(*http.Request)
	http     *http.Client
	sleep    func(context.Context, time.Duration) error
}

func newJSONClient(provider, base string, hc *http.Client, auth func(*http.Request)) *jsonClient {
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	return &jsonClient{provider: provider, base: strings.TrimRight(base, "/"), auth: auth, http: hc, sleep: sleepContext}
}

// do sends method path with in as its JSON body (nil: none) and decodes a
// 2xx answer into out (nil: ignored). A 429 is retried after the wait the
// answer names.
func (c *jsonClient) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		c.auth(req)
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", c.provider, method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: %s %s: read answer: %w", c.provider, method, path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < maxAttempts {
			if wait := retryWait(resp.Header); wait <= maxRetryWait {
				if err := c.sleep(ctx, wait); err != nil {
					return err
				}
				continue
			}
		}
		if resp.StatusCode/100 != 2 {
			return &APIError{Provider: c.provider, Method: method, Path: path, Status: resp.StatusCode, Message: errorMessage(data)}
		}
		if out == nil || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: %s %s: decode answer: %w", c.provider, method, path, err)
		}
		return nil
	}
}

// retryWait is the wait a 429 names: Retry-After (seconds), else
// ShipStation's X-Rate-Limit-Reset, else defaultRetryWait.
func retryWait(h http.Header) time.Duration {
	for _, name := range []string{"Retry-After", "X-Rate-Limit-Reset"} {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Get(name))); err == nil && n >= 0 {
			return time.Duration(max(n, 1)) * time.Second
		}
	}
	return defaultRetryWait
}

// errorMessage is the provider's error text from a JSON answer
// ({"message"}, {"errors"}, V2's {"errors":[{"message"}]}), else the start
// of the body.
func errorMessage(data []byte) string {
	var v struct {
		Message string          `json:"message"`
		Errors  json.RawMessage `json:"errors"`
	}
	msg := ""
	if json.Unmarshal(data, &v) == nil {
		msg = v.Message
		if msg == "" && len(v.Errors) > 0 {
			var list []struct {
				Message string `json:"message"`
			}
			var s string
			switch {
			case json.Unmarshal(v.Errors, &s) == nil:
				msg = s
			case json.Unmarshal(v.Errors, &list) == nil && len(list) > 0:
				msg = list[0].Message
			default:
				msg = string(v.Errors)
			}
		}
	} else {
		msg = strings.TrimSpace(string(data))
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}

// flexID decodes an id given as a JSON number or string.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("id is neither a number nor a string")
	}
	*f = flexID(n.String())
	return nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
