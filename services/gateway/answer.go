package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
	"github.com/hookstream/hookstream/pkg/tracing"
)

// statusFor maps an error category to its HTTP status. It is the one place
// where the gateway decides what a failure means to the provider.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errContentType):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, provider.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, provider.ErrMalformed), errors.Is(err, catalog.ErrInvalidName):
		return http.StatusBadRequest
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrNotConfigured), errors.Is(err, errPublish):
		return http.StatusServiceUnavailable
	}
	// An error of no known category is ours: do not acknowledge.
	return http.StatusServiceUnavailable
}

// codeNames are the machine-readable "error" values of error bodies.
var codeNames = map[int]string{
	http.StatusBadRequest:                  "malformed",
	http.StatusUnauthorized:                "unauthenticated",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusRequestEntityTooLarge:       "too_large",
	http.StatusUnsupportedMediaType:        "unsupported_media_type",
	http.StatusRequestTimeout:              "timeout",
	http.StatusRequestHeaderFieldsTooLarge: "headers_too_large",
	http.StatusServiceUnavailable:          "unavailable",
}

// answerError logs a refused request and answers it. Publish failures say
// only "not stored" to the caller; the cause goes to the log.
func (g *Gateway) answerError(ctx context.Context, c *fasthttp.RequestCtx, rt *route, code int, res result) {
	fields := append(tracing.LogFields(ctx),
		zap.String("provider", rt.label), zap.String("account", accountName(rt.account)), zap.Int("status", code),
		zap.ByteString("path", c.Path()), // never the query: it may hold the ShipStation token
		zap.Stringer("remote", c.RemoteAddr()), zap.Error(res.err),
	)
	if res.id != "" {
		fields = append(fields, zap.String("event_id", res.id), zap.String("subject", res.subject))
	}
	message := res.err.Error()
	switch code {
	case http.StatusServiceUnavailable:
		c.Response.Header.Set("Retry-After", strconv.Itoa(int(retryAfter(res.err, g.cfg.RetryAfter).Seconds())))
		g.log.Error("webhook not accepted", fields...)
		message = unavailableMessage(res.err)
	case http.StatusMethodNotAllowed:
		c.Response.Header.Set("Allow", http.MethodPost)
		g.log.Info("webhook refused", fields...)
	default:
		g.log.Warn("webhook refused", fields...)
	}
	writeError(c, code, codeNames[code], message)
}

// transportError answers a request the HTTP server refused before any
// route saw it: a body over the limit, headers over maxHeaderBytes, or
// bytes that are not HTTP. The connection then closes in stages (see
// lingerListener): the client may still be sending.
func (g *Gateway) transportError(c *fasthttp.RequestCtx, err error) {
	code := http.StatusBadRequest
	var tooBig *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		code = http.StatusRequestEntityTooLarge
		err = errTooLarge
	case errors.As(err, &tooBig):
		code = http.StatusRequestHeaderFieldsTooLarge
		err = fmt.Errorf("request headers over %d bytes", maxHeaderBytes)
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded):
		code = http.StatusRequestTimeout
		err = errors.New("request not received in time")
	default:
		// fasthttp's parse errors quote the request (its query token
		// among it): neither the answer nor the log repeats them.
		err = errors.New("malformed HTTP request")
	}
	g.log.Info("request refused by the HTTP server", zap.Int("status", code),
		zap.Stringer("remote", c.RemoteAddr()), zap.String("reason", err.Error()))
	writeError(c, code, codeNames[code], err.Error())
	c.SetConnectionClose()
	refuse(c.Conn())
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(c *fasthttp.RequestCtx, code int, name, message string) {
	writeJSON(c, code, errorBody{Error: name, Message: message})
}

func writeJSON(c *fasthttp.RequestCtx, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only our own answer types reach here
		code, body = http.StatusInternalServerError, []byte(`{"error":"internal"}`)
	}
	c.SetStatusCode(code)
	c.SetContentType("application/json")
	c.SetBody(append(body, '\n'))
}

// retryAfter is the Retry-After of a 503 for err: the configured delay, or
// longer when err knows that trying again cannot succeed sooner (a JWKS
// that may not be fetched again yet), rounded up to whole seconds.
func retryAfter(err error, configured time.Duration) time.Duration {
	d := configured
	var wait interface{ RetryDelay() time.Duration }
	if errors.As(err, &wait) && wait.RetryDelay() > d {
		d = wait.RetryDelay()
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// unavailableMessage is what a 503 tells the caller: which step failed, never
// why (a dial error names internal addresses, a rejected key says too much);
// the cause is in the log.
func unavailableMessage(err error) string {
	switch {
	case errors.Is(err, errPublish):
		return "the event could not be stored; retry later"
	case errors.Is(err, provider.ErrNotConfigured):
		return err.Error() // names the variable to set, nothing secret
	}
	return "the webhook could not be authenticated now; retry later"
}

// formatOnlyLogger is fasthttp's Logger: it logs the format of fasthttp's
// message ("error when serving connection %q<->%q: %v"), never its
// arguments, which quote the request (a ShipStation token in the query, a
// header's value). The gateway's own line for the same refusal
// (transportError) says what matters: the status and the remote address.
type formatOnlyLogger struct{ log *zap.Logger }

// Printf implements fasthttp.Logger.
func (l formatOnlyLogger) Printf(format string, _ ...any) {
	l.log.Debug("HTTP server message (arguments withheld: they may quote the request)", zap.String("format", format))
}
