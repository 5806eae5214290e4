package gateway

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// A server that closes a connection while the client is still sending
// makes its kernel answer the unread bytes with a reset, and a reset can
// destroy the answer before the client reads it (RFC 9112, section 9.6).
// The HTTP server refuses some requests before it has read them whole: a
// body over the limit (refused on its Content-Length, or once its chunks
// pass the limit), headers over maxHeaderBytes. So the gateway closes
// those connections in stages: its answer is followed by a FIN, then it
// reads and discards what the client still sends, within a budget of bytes
// and of time, and only then closes.

// lingerListener hands out connections that close in stages once refused.
type lingerListener struct {
	net.Listener
	budget  int64         // bytes discarded at most
	timeout time.Duration // time spent discarding at most

	mu      sync.Mutex
	stopped bool
	conns   map[*lingerConn]struct{} // the connections discarding now
	wg      sync.WaitGroup
}

func newLingerListener(ln net.Listener, budget int64, timeout time.Duration) *lingerListener {
	return &lingerListener{Listener: ln, budget: budget, timeout: timeout, conns: make(map[*lingerConn]struct{})}
}

// Accept implements net.Listener.
func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingerConn{Conn: c, l: l}, nil
}

// stop cuts short the connections still discarding, waits until they are
// closed, and has connections refused from now on close at once.
func (l *lingerListener) stop() {
	l.mu.Lock()
	l.stopped = true
	for c := range l.conns {
		_ = c.Conn.SetReadDeadline(time.Now())
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// begin half-closes c and registers it as discarding; false means c is to
// be closed at once.
func (l *lingerListener) begin(c *lingerConn) bool {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped || c.Conn.SetReadDeadline(time.Now().Add(l.timeout)) != nil {
		return false
	}
	l.conns[c] = struct{}{}
	l.wg.Add(1)
	return true
}

func (l *lingerListener) end(c *lingerConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.wg.Done()
}

// lingerConn is a connection that closes in stages once refused.
type lingerConn struct {
	net.Conn
	l       *lingerListener
	refused atomic.Bool
}

// refuse has c, a connection from a lingerListener, close in stages. The
// server calls Close once it has written its answer.
func refuse(c net.Conn) {
	if lc, ok := c.(*lingerConn); ok {
		lc.refused.Store(true)
	}
}

// Close implements net.Conn. A refused connection is half-closed, drained
// within the listener's budgets, then closed.
func (c *lingerConn) Close() error {
	if c.refused.CompareAndSwap(true, false) && c.l.begin(c) {
		_, _ = io.CopyN(io.Discard, c.Conn, c.l.budget)
		c.l.end(c)
	}
	return c.Conn.Close()
}
