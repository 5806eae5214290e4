// Command hookstream is hookstream's all-in-one and operator command.
//
//	hookstream dev                     everything in one process: embedded JetStream,
//	                                   the gateway and sandbox provider APIs
//	hookstream send <provider> <event> post a correctly authenticated sample webhook
//	hookstream dlq list|show|redrive   inspect and redrive the dead-letter queue
//	hookstream holds list              open fulfillment holds, oldest first
//	hookstream webhooks check          the webhook subscriptions at the providers
//	                                   (also list, subscribe, unsubscribe)
//	hookstream streams                 stream definitions as `nats stream add --config` JSON
//	hookstream sandbox                 the sandbox provider APIs on their own
//	hookstream bench                   load-test a gateway (deploy/bench/gateway.sh runs it
//	                                   beside `nats bench` on the same server)
//
// Run `hookstream <command> -h` for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = []command{
	{"dev", "[flags]", "run the whole pipeline in one process with an embedded JetStream server and sandbox provider APIs", runDev},
	{"send", "[flags] <provider> <event>", "post a correctly authenticated sample webhook (from schemas/examples) to a gateway", runSend},
	{"dlq", "list|show|redrive", "inspect the dead-letter queue and send entries back to their subjects", runDLQ},
	{"replay", "[-consumer c] [-subject s] [-from-seq n] [-to-seq n] [-since t] [-until t] [-dry-run]", "send raw webhooks from WEBHOOKS again to the consumer services, through their normal path", runReplay},
	{"holds", "list [--overdue]", "list open fulfillment holds from the holds bucket, oldest first, with age and reason", runHolds},
	{"webhooks", "list|subscribe|unsubscribe|check", "manage the webhook subscriptions at ShipStation (V1, V2) and SHOPLINE; say what to set at Snipcart", runWebhooks},
	{"streams", "[flags] [STREAM...]", "print the stream definitions as `nats stream add --config` JSON (-dir writes deploy/streams)", runStreams},
	{"sandbox", "[flags]", "serve the sandbox provider APIs on their own (docker compose's sandbox profile)", runSandbox},
	{"bench", "[flags]", "drive a gateway with concurrent authenticated webhooks; print req/s and latency", runBench},
	{"naive-gateway", "[flags]", "serve the benchmark's yardstick: net/http + JetStream publish, nothing else", runNaiveGateway},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookstream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout)
		}
	}
	usage(os.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hookstream <command> [arguments]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-6s %-28s %s\n", c.name, c.args, c.summary)
	}
}

// newFlags returns a flag set for a subcommand that reports errors instead
// of exiting, so commands are testable.
func newFlags(name, args string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: hookstream %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}
