package natsconn_test

import (
	"strings"
	"testing"

	"github.com/hookstream/hookstream/pkg/envconf"
	"github.com/hookstream/hookstream/pkg/natsconn"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                                   "nats://127.0.0.1:4222",
		"nats://svc:s3cret@nats:4222":                             "nats://svc:xxxxx@nats:4222",
		"nats://t0ken@nats:4222":                                  "nats://xxxxx@nats:4222",
		"nats://a:s3cret@n1:4222, nats://n2:4222,tls://b:pw@n3:1": "nats://a:xxxxx@n1:4222,nats://n2:4222,tls://b:xxxxx@n3:1",
		"nats://a:s3%cret@n1:4222":                                "(unparsable URL, redacted)",
	} {
		if got := natsconn.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// The settings printed at start-up and the connect error never carry the
// password in NATS_URL.
func TestConfigNeverPrintsThePasswordInTheURL(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"NATS_URL": "nats://svc:s3cret@127.0.0.1:1", "NATS_PASSWORD": "other-s3cret"}
	l := envconf.New(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	cfg := natsconn.LoadConfig(l)
	if s := cfg.String(); strings.Contains(s, "s3cret") || !strings.Contains(s, "svc:xxxxx@127.0.0.1:1") {
		t.Errorf("String() = %q", s)
	}
	cfg.URL = "nats://svc:s3cret@127.0.0.1:1,::bad"
	if _, err := natsconn.Connect(cfg, "test", nil); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Connect error = %v", err)
	}
}
