package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/provider"
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
	http.StatusBadRequest:            "malformed",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusServiceUnavailable:    "unavailable",
}

// answerError logs a refused request and answers it. Publish failures say
// only "not stored" to the caller; the cause goes to the log.
func (g *Gateway) answerError(w http.ResponseWriter, r *http.Request, rt *route, code int, res result) {
	fields := []zap.Field{
		zap.String("provider", rt.label), zap.Int("status", code),
		zap.String("path", r.URL.Path), // never the query: it may hold the ShipStation token
		zap.String("remote", r.RemoteAddr), zap.Error(res.err),
	}
	if res.id != "" {
		fields = append(fields, zap.String("event_id", res.id), zap.String("subject", res.subject))
	}
	message := res.err.Error()
	switch code {
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(int(g.cfg.RetryAfter.Seconds())))
		g.log.Error("webhook not accepted", fields...)
		if errors.Is(res.err, errPublish) {
			message = "the event could not be stored; retry later"
		}
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
		g.log.Info("webhook refused", fields...)
	default:
		g.log.Warn("webhook refused", fields...)
	}
	writeError(w, code, codeNames[code], message)
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, code int, name, message string) {
	writeJSON(w, code, errorBody{Error: name, Message: message})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only our own answer types reach here
		code, body = http.StatusInternalServerError, []byte(`{"error":"internal"}`)
	}
	body = append(body, '\n')
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
