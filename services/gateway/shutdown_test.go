package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/natstest"
)

// Cancelling Run's context stops the gateway gracefully: a request in
// flight (here, waiting on Snipcart's token check) still completes and is
// stored, and Serve returns nil.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	// The check's delay must stay well below the verify timeout on a
	// loaded machine.
	h := newHarness(t, map[string]string{"GATEWAY_VERIFY_TIMEOUT": "10s"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.gw.Serve(ctx, ln) }()

	et, body, headers := exampleOf(t, "snipcart", "order.completed")
	r := h.signed(et, body, headers)
	h.snipcart.SetDelay(300 * time.Millisecond)
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+r.path, bytesReader(r.body))
		req.Header = r.header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	natstest.Eventually(t, "the request to reach Snipcart's check", func() bool { return h.snipcart.Validations() > 0 })
	cancel()

	if code := <-answered; code != http.StatusOK {
		t.Errorf("in-flight request answered %d, want 200", code)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if n := h.onSubject(et.Subject); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the gateway still accepts connections after shutdown")
	}
}

// Shutdown does not wait out the draining of a refused request: once Serve
// has returned, the gateway reads nothing more from its connection.
func TestShutdownEndsDraining(t *testing.T) {
	h := newHarness(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- h.gw.Serve(ctx, ln) }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(conn, "POST /webhooks/shopline HTTP/1.1\r\nHost: gateway\r\nContent-Length: %d\r\n\r\n", testMaxBody+1); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("answer %q, want 413", resp.Status)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	// Draining, the gateway would read all this (up to twice the limit); a
	// closed connection answers the first write with a reset, which fails
	// the next one.
	chunk := make([]byte, 1<<10)
	for sent := len(chunk); sent <= 2*testMaxBody; sent += len(chunk) {
		if _, err := conn.Write(chunk); err != nil {
			return
		}
	}
	t.Error("the gateway still read the refused request after Serve returned")
}
