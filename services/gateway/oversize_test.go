package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A body over the limit is refused before it has all arrived. The client
// reads the 413 while it is still sending, then sends the rest (up to
// twice the limit, chunk framing included) without the connection being
// reset, because the gateway reads and discards it before closing. The
// client here is raw TCP so that the order is the worst one for it: the
// rest of the body goes out only once the answer is in.
func TestOversizedBodyIsAnsweredWhileSending(t *testing.T) {
	h := newHarness(t, nil)
	et, body, headers := exampleOf(t, "shipstation", "ORDER_NOTIFY")
	r := h.signed(et, body, headers)
	head := func(framing string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n%s\r\n\r\n", r.path, framing)
	}
	pad := func(n int) string { return strings.Repeat("a", n) }
	for name, c := range map[string]struct {
		first string // refused as soon as it has arrived
		rest  string
	}{
		"Content-Length": {
			head(fmt.Sprintf("Content-Length: %d", 2*testMaxBody)),
			pad(2 * testMaxBody),
		},
		"chunked": {
			head("Transfer-Encoding: chunked") + fmt.Sprintf("%x\r\n", testMaxBody+1),
			pad(testMaxBody+1) + fmt.Sprintf("\r\n%x\r\n", testMaxBody-64) + pad(testMaxBody-64) + "\r\n0\r\n\r\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			before := h.stored()
			conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// A bound, so that a gateway that stops reading fails the test
			// instead of hanging it.
			if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
				t.Fatal(err)
			}
			answered := make(chan struct{})
			sent := make(chan error, 1)
			go func() { sent <- sendAround(conn.(*net.TCPConn), c.first, c.rest, answered) }()

			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			close(answered)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading the answer's body: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
				t.Errorf("answer %q (Connection: %q), want 413 and Connection: close", resp.Status, resp.Header.Get("Connection"))
			}
			if want := `{"error":"too_large","message":"body too large"}` + "\n"; string(got) != want {
				t.Errorf("body %q, want %q", got, want)
			}
			if err := <-sent; err != nil {
				t.Errorf("sending the rest of the body after the answer: %v", err)
			}
			// Having read what was sent, the gateway closes cleanly.
			if rest, err := io.ReadAll(br); err != nil || len(rest) > 0 {
				t.Errorf("after the answer: %q, %v; want the end of the connection", rest, err)
			}
			if n := h.stored(); n != before {
				t.Errorf("%d messages stored by a refused request", n-before)
			}
		})
	}
}

// sendAround writes first, waits for answered, then writes rest in small
// writes (each a chance to meet a reset) and half-closes the connection.
func sendAround(conn *net.TCPConn, first, rest string, answered <-chan struct{}) error {
	if _, err := io.WriteString(conn, first); err != nil {
		return err
	}
	<-answered
	for len(rest) > 0 {
		n := min(len(rest), 1<<10)
		if _, err := io.WriteString(conn, rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return conn.CloseWrite()
}
