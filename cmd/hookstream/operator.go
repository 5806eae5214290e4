package main

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natsconn"
)

// defaultOperatorURL is where the operator commands connect unless told
// otherwise: $NATS_URL, else the local server `hookstream dev` runs.
func defaultOperatorURL() string {
	return envconf.New(nil).String("NATS_URL", nats.DefaultURL)
}

// connectOperator connects an operator command (dlq, holds) to url with the
// credentials of the environment, as the services read them: NATS_CREDS,
// or NATS_USER and NATS_PASSWORD[_FILE].
func connectOperator(url, name string) (*nats.Conn, error) {
	l := envconf.New(nil)
	cfg := natsconn.LoadConfig(l)
	if err := l.Err(); err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, append(cfg.AuthOptions(), nats.Name(name))...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return nc, nil
}

// operatorJetStream is connectOperator with a JetStream context; close
// closes the connection.
func operatorJetStream(url, name string) (js jetstream.JetStream, close func(), err error) {
	nc, err := connectOperator(url, name)
	if err != nil {
		return nil, nil, err
	}
	if js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}
