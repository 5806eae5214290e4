// Package natstest starts real, embedded JetStream servers for tests: a
// random loopback port, a store under t.TempDir(), shut down in t.Cleanup.
// There is no mock of NATS in hookstream; tests talk to one of these.
package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Server is an embedded JetStream server that can be stopped and started
// again on the same port and store, to test what clients do while it is gone.
type Server struct {
	*server.Server
	t    testing.TB
	opts server.Options
}

// Run starts a JetStream server on a random loopback port with a fresh
// store directory, and stops it when the test ends.
func Run(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, opts: server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoLog:     true,
		NoSigs:    true,
	}}
	s.start()
	s.opts.Port = s.Addr().(*net.TCPAddr).Port // Restart comes back on this port
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	opts := s.opts
	ns, err := server.NewServer(&opts)
	if err != nil {
		s.t.Fatalf("natstest: new server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.t.Fatalf("natstest: server not ready")
	}
	s.Server = ns
}

// Stop shuts the server down and waits until it is gone. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	if s.Server.Running() {
		s.Server.Shutdown()
		s.Server.WaitForShutdown()
	}
}

// Restart starts the server again on the same port with the same store.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Connect returns a client connection that reconnects forever (so it
// survives Restart) and is closed when the test ends.
func (s *Server) Connect() *nats.Conn {
	s.t.Helper()
	nc, err := nats.Connect(s.ClientURL(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
	)
	if err != nil {
		s.t.Fatalf("natstest: connect: %v", err)
	}
	s.t.Cleanup(nc.Close)
	return nc
}

// JetStream returns a JetStream context on a new connection.
func (s *Server) JetStream() jetstream.JetStream {
	s.t.Helper()
	js, err := jetstream.New(s.Connect())
	if err != nil {
		s.t.Fatalf("natstest: jetstream: %v", err)
	}
	return js
}

// Eventually polls cond until it holds, failing the test with what after
// 20 seconds. Tests wait for asynchronous outcomes (a consumer's events, a
// DLQ entry) with it instead of sleeping.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
