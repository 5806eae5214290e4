package gateway_test

import (
	"context"
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
	h := newHarness(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.gw.Serve(ctx, ln) }()

	et, body, headers := exampleOf(t, "snipcart", "order.completed")
	r := h.signed(et, body, headers)
	h.snipcart.SetDelay(300 * time.Millisecond) // below GATEWAY_VERIFY_TIMEOUT
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
