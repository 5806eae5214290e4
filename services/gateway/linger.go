package gateway

import (
	"io"
	"net"
	"sync"
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
	refused map[*lingerConn]bool // refused and not closed yet: closing started
	wg      sync.WaitGroup       // one per refused connection
}

func newLingerListener(ln net.Listener, budget int64, timeout time.Duration) *lingerListener {
	return &lingerListener{Listener: ln, budget: budget, timeout: timeout, refused: make(map[*lingerConn]bool)}
}

// Accept implements net.Listener.
func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingerConn{Conn: c, l: l}, nil
}

// stop cuts short the discarding, waits until every refused connection is
// closed, and has connections refused from now on close at once.
func (l *lingerListener) stop() {
	l.mu.Lock()
	l.stopped = true
	for c := range l.refused {
		_ = c.Conn.SetDeadline(time.Now())
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// refuse has c, a connection from a lingerListener, close in stages. The
// HTTP server closes it once it has written its answer.
func refuse(c net.Conn) {
	lc, ok := c.(*lingerConn)
	if !ok {
		return
	}
	l := lc.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.refused[lc]; dup || l.stopped {
		return
	}
	l.refused[lc] = false
	l.wg.Add(1)
}

// closing reports whether c was refused and, if so, whether to discard
// what the client still sends: then c is half-closed and has its deadline.
func (l *lingerListener) closing(c *lingerConn) (refused, discard bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if started, ok := l.refused[c]; !ok || started { // a second Close closes at once
		return false, false
	}
	l.refused[c] = true
	if l.stopped {
		return true, false
	}
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	discard = ok && cw.CloseWrite() == nil && c.Conn.SetReadDeadline(time.Now().Add(l.timeout)) == nil
	return true, discard
}

// closed is the end of a refused connection's Close.
func (l *lingerListener) closed(c *lingerConn) {
	l.mu.Lock()
	delete(l.refused, c)
	l.mu.Unlock()
	l.wg.Done()
}

// lingerConn is a connection that closes in stages once refused.
type lingerConn struct {
	net.Conn
	l *lingerListener
}

// Close implements net.Conn. A refused connection is half-closed, drained
// within the listener's budgets, then closed.
func (c *lingerConn) Close() error {
	refused, discard := c.l.closing(c)
	if refused {
		defer c.l.closed(c)
	}
	if discard {
		_, _ = io.CopyN(io.Discard, c.Conn, c.l.budget)
	}
	return c.Conn.Close()
}
