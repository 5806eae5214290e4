package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary run as the example command, so the test
// starts it as a real process: OVERDUE_ALERTS_TEST_MAIN=1 <test binary>.
func TestMain(m *testing.M) {
	if os.Getenv("OVERDUE_ALERTS_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The example, started as its own process against `hookstream dev` (the
// real binary, holds overdue after one second), prints one alert for the
// hold placed by the SHOPLINE sample `hookstream send` posts, and stops
// cleanly on SIGTERM.
func TestAlertsOnHoldOverdueFromHookstreamDev(t *testing.T) {
	hookstream := buildHookstream(t)
	dev := start(t, exec.Command(hookstream, "dev", "-data", t.TempDir(), "-nats-port", "0",
		"-addr", "127.0.0.1:0", "-sandbox-addr", "127.0.0.1:0", "-shipstation-api-addr", "127.0.0.1:0",
		"-hold-overdue-after", "1s", "-log-level", "warn"))
	gatewayURL := dev.waitFor(t, regexp.MustCompile(`gateway\s+(http://\S+)`))[1]
	natsURL := dev.waitFor(t, regexp.MustCompile(`nats\s+(nats://\S+)`))[1]

	alerts := exec.Command(os.Args[0])
	alerts.Env = append(os.Environ(), "OVERDUE_ALERTS_TEST_MAIN=1", "NATS_URL="+natsURL)
	example := start(t, alerts)

	out, err := exec.Command(hookstream, "send", "-url", gatewayURL, "shopline", "fulfillment_order/update").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(`"status":"stored"`)) {
		t.Fatalf("hookstream send: %v\n%s", err, out)
	}
	m := example.waitFor(t, regexp.MustCompile(`^ALERT hold overdue: .* on hold since (\S+), overdue since (\S+): .*`))
	line := m[0]
	placed, err1 := time.Parse(time.RFC3339, m[1])
	overdue, err2 := time.Parse(time.RFC3339, m[2])
	if d := overdue.Sub(placed); err1 != nil || err2 != nil || d < time.Second || d > 2*time.Second {
		t.Errorf("alert %q: overdue %s after being placed, want -hold-overdue-after 1s (rounded up to the second)", line, d)
	}
	for _, want := range []string{"shopline shop 1610418123456", "fulfillment order 4005740193290131085320",
		"(order 21057401932826316666967110)", "out of stock"} {
		if !strings.Contains(line, want) {
			t.Errorf("alert %q lacks %q", line, want)
		}
	}

	example.stop(t)
	if n := strings.Count(example.output(), "ALERT"); n != 1 {
		t.Errorf("%d alerts, want 1:\n%s", n, example.output())
	}
	dev.stop(t)
}

// buildHookstream builds the hookstream command from this repository.
func buildHookstream(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hookstream")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..", "cmd", "hookstream")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build hookstream: %v\n%s", err, out)
	}
	return bin
}

// process is a started command whose stdout lines are collected.
type process struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan error
}

func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, lines.Text())
			p.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// waitFor returns the submatches of the first output line matching re,
// waiting up to 60 seconds for it.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for _, l := range p.lines {
			if m := re.FindStringSubmatch(l); m != nil {
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s printed no line matching %s; it printed:\n%s", p.cmd.Path, re, p.output())
	return nil
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// stop sends SIGTERM and waits for a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v", p.cmd.Path, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not exit within 30s of SIGTERM", p.cmd.Path)
	}
}
