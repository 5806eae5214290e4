package gateway_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// rawExchange sends req as it is on a new connection to the gateway and
// returns everything the gateway answers until it closes the connection.
func rawExchange(t *testing.T, base, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	out, _ := io.ReadAll(conn)
	return string(out)
}

// Requests that are not HTTP, with the ShipStation token in the request
// line, are refused with a fixed answer; neither the answer nor any log
// line (the gateway's or the HTTP server's own) repeats what was sent.
func TestMalformedRequestsAreNotEchoed(t *testing.T) {
	var logs bytes.Buffer
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logs), zap.DebugLevel))
	h := newHarnessLogging(t, nil, log)
	line := "POST /webhooks/shipstation?token=" + testShipStationToken + " HTTP/1.1\r\nHost: gw\r\n"
	for name, req := range map[string]string{
		"duplicate Content-Length":   line + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
		"header line without colon":  line + "X-Secret " + testShipStationToken + "\r\nContent-Length: 2\r\n\r\n{}",
		"control characters":         line + "X-Bad: a\x01\x7f" + testShipStationToken + "\r\nContent-Length: 2\r\n\r\n{}",
		"request line with NUL":      "POST /webhooks/shipstation?token=" + testShipStationToken + "\x00 HTTP/1.1\r\n\r\n",
		"garbage after the line":     line + "\x00\x00\x00" + testShipStationToken + "\r\n\r\n",
		"negative Content-Length":    line + "Content-Length: -5\r\n\r\n",
		"Content-Length not numeric": line + "Content-Length: " + testShipStationToken + "\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			answer := rawExchange(t, h.url, req)
			status, _, _ := strings.Cut(answer, "\r\n")
			if !strings.HasPrefix(status, "HTTP/1.1 4") {
				t.Errorf("answer %q, want a 4xx", status)
			}
			if strings.Contains(answer, testShipStationToken) {
				t.Errorf("the answer echoes the request:\n%s", answer)
			}
		})
	}
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
	out := logs.String()
	if !strings.Contains(out, "request refused by the HTTP server") {
		t.Fatalf("no refusal was logged; the test would prove nothing:\n%s", out)
	}
	if strings.Contains(out, testShipStationToken) || strings.Contains(out, "token=") {
		t.Errorf("logs repeat the request:\n%s", out)
	}
}

// GATEWAY_MAX_CONNS and GATEWAY_MAX_CONNS_PER_IP bound the connections
// served at once: one more is answered (503 or 429) and closed, and the
// gateway serves again once connections go.
func TestConnectionLimits(t *testing.T) {
	for name, tc := range map[string]struct {
		env    map[string]string
		status string
	}{
		"per process": {map[string]string{"GATEWAY_MAX_CONNS": "2"}, "HTTP/1.1 503"},
		"per address": {map[string]string{"GATEWAY_MAX_CONNS_PER_IP": "2"}, "HTTP/1.1 429"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, tc.env)
			addr := strings.TrimPrefix(h.url, "http://")
			var idle []net.Conn
			for range 2 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				idle = append(idle, c)
				// A request answered on it shows the server holds it.
				if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("healthz on connection %d: %v", len(idle), err)
				}
			}
			answer := rawExchange(t, h.url, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
			if !strings.HasPrefix(answer, tc.status) {
				t.Errorf("third connection answered %q, want %s", strings.SplitN(answer, "\r\n", 2)[0], tc.status)
			}
			for _, c := range idle {
				c.Close()
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if a := rawExchange(t, h.url, "GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"); strings.HasPrefix(a, "HTTP/1.1 200") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the gateway does not serve again after the connections closed")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
