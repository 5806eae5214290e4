// Package natsconn connects hookstream's processes to NATS: the connection
// settings every process reads (NATS_URL, NATS_CREDS, NATS_USER,
// NATS_PASSWORD), a connection that waits and reconnects forever, and a
// drain that waits for its end.
package natsconn

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/envconf"
)

// Config says how a service connects to NATS.
type Config struct {
	// URL is the server list (NATS_URL, default nats://127.0.0.1:4222).
	URL string
	// CredsFile is a NATS credentials file for the service's user
	// (NATS_CREDS, optional).
	CredsFile string
	// User and Password authenticate with user/password instead
	// (NATS_USER, NATS_PASSWORD[_FILE], optional).
	User, Password string
	// InboxPrefix is the prefix of the connection's reply subjects
	// (NATS_INBOX_PREFIX). Default: "_INBOX_<NATS_USER>" when NATS_USER is
	// set, so that each service user may subscribe to its own replies only
	// (deploy/nats/accounts.conf); else NATS' "_INBOX".
	InboxPrefix string
}

// LoadConfig reads the NATS connection variables.
func LoadConfig(l *envconf.Loader) Config {
	c := Config{
		URL:       l.String("NATS_URL", nats.DefaultURL),
		CredsFile: l.String("NATS_CREDS", ""),
		User:      l.String("NATS_USER", ""),
		Password:  l.Secret("NATS_PASSWORD"),
	}
	if c.CredsFile != "" && c.User != "" {
		l.Fail("NATS_CREDS", "set either NATS_CREDS or NATS_USER, not both")
	}
	prefix := ""
	if c.User != "" {
		prefix = "_INBOX_" + c.User
	}
	c.InboxPrefix = l.String("NATS_INBOX_PREFIX", prefix)
	if strings.ContainsAny(c.InboxPrefix, "*> \t\r\n") || strings.HasPrefix(c.InboxPrefix, ".") || strings.HasSuffix(c.InboxPrefix, ".") {
		l.Fail("NATS_INBOX_PREFIX", "must be subject tokens without wildcards or spaces")
	}
	return c
}

// String renders the connection settings with the password redacted.
func (c Config) String() string {
	return fmt.Sprintf("NATS_URL=%s NATS_CREDS=%s NATS_USER=%s NATS_PASSWORD=%s NATS_INBOX_PREFIX=%s",
		RedactURL(c.URL), c.CredsFile, c.User, envconf.Redact(c.Password), c.InboxPrefix)
}

// AuthOptions are the options that authenticate as the configured user:
// the credentials file, or the user and password; none when neither is set.
func (c Config) AuthOptions() []nats.Option {
	switch {
	case c.CredsFile != "":
		return []nats.Option{nats.UserCredentials(c.CredsFile)}
	case c.User != "":
		return []nats.Option{nats.UserInfo(c.User, c.Password)}
	}
	return nil
}

// Connect connects to NATS as name. It does not fail when the server is not
// up yet, and it reconnects forever: a service keeps answering (503, not
// ready) while NATS is away and recovers when it is back. Connection changes
// are logged.
func Connect(cfg Config, name string, log *zap.Logger, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("nats disconnected", zap.Error(err))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
	}
	opts = append(opts, cfg.AuthOptions()...)
	if cfg.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(cfg.InboxPrefix))
	}
	nc, err := nats.Connect(cfg.URL, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("natsconn: connect to %s: %w", RedactURL(cfg.URL), err)
	}
	return nc, nil
}

// Drain drains nc (in-flight publishes and subscriptions finish) and waits
// until it is closed or timeout passes. nats.Conn.Drain alone returns at
// once, so a process that exits right after it may cut the drain short.
func Drain(nc *nats.Conn, timeout time.Duration) error {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		if nc.IsClosed() {
			return nil
		}
		return fmt.Errorf("natsconn: drain: %w", err)
	}
	select {
	case <-closed:
		return nil
	case <-time.After(timeout):
		nc.Close()
		return fmt.Errorf("natsconn: drain did not finish within %s", timeout)
	}
}

// RedactURL returns a NATS server list (comma-separated URLs) with the
// password or token of every URL that carries user information replaced,
// for logs and errors: nats://user:secret@host:4222 becomes
// nats://user:xxxxx@host:4222, and nats://token@host a redacted user too.
// A part that does not parse as a URL is replaced whole when it contains
// an '@', since it may hold a secret.
func RedactURL(servers string) string {
	parts := strings.Split(servers, ",")
	for i, part := range parts {
		trimmed := strings.TrimSpace(part)
		u, err := url.Parse(trimmed)
		switch {
		case err != nil && strings.Contains(trimmed, "@"):
			parts[i] = "(unparsable URL, redacted)"
		case err != nil || u.User == nil:
			parts[i] = trimmed
		default:
			if _, hasPassword := u.User.Password(); hasPassword {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			} else {
				u.User = url.User("xxxxx") // a token
			}
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
