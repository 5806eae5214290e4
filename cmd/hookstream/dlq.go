package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookstream/hookstream/pkg/dlq"
)

// runDLQ is `hookstream dlq list | show <seq> | redrive <seq>|--all`.
func runDLQ(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "list | show <seq> | redrive <seq>|--all [flags]"
	fs := newFlags("dlq", usage, stdout)
	natsURL := fs.String("nats", defaultOperatorURL(), "NATS server (default $NATS_URL; credentials from NATS_CREDS or NATS_USER/NATS_PASSWORD)")
	consumer := fs.String("consumer", "", "only entries of this consumer (list, redrive --all)")
	all := fs.Bool("all", false, "redrive every entry (of --consumer, if given)")
	if len(args) == 0 {
		fs.Usage()
		return errors.New("dlq needs a subcommand")
	}
	sub, rest := args[0], args[1:]
	// Flags may come before or after the sequence number.
	var positional []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) > 0 {
			positional, rest = append(positional, rest[0]), rest[1:]
		}
	}
	js, closeConn, err := operatorJetStream(*natsURL, "hookstream-dlq")
	if err != nil {
		return err
	}
	defer closeConn()
	seq := func() (uint64, error) {
		if len(positional) != 1 {
			return 0, fmt.Errorf("dlq %s needs one sequence number", sub)
		}
		return strconv.ParseUint(positional[0], 10, 64)
	}
	switch sub {
	case "list":
		entries, err := dlq.List(ctx, js, *consumer)
		if err != nil {
			return err
		}
		printDLQList(stdout, entries)
		return nil
	case "show":
		n, err := seq()
		if err != nil {
			return err
		}
		entry, err := dlq.Get(ctx, js, n)
		if err != nil {
			return err
		}
		printDLQEntry(stdout, entry)
		return nil
	case "redrive":
		if *all {
			n, err := dlq.RedriveAll(ctx, js, *consumer)
			fmt.Fprintf(stdout, "redrove %d entries\n", n)
			return err
		}
		n, err := seq()
		if err != nil {
			return err
		}
		if err := dlq.Redrive(ctx, js, n); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "redrove entry %d\n", n)
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown dlq subcommand %q", sub)
}

func printDLQList(w io.Writer, entries []dlq.Entry) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "the DLQ is empty")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tCONSUMER\tSUBJECT\tATTEMPTS\tLAST FAILURE\tERROR")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", e.Seq, e.Consumer, e.OriginalSubject, e.Attempts,
			e.LastFailure.Local().Format(time.DateTime), shorten(e.Error, 70))
	}
	tw.Flush()
}

func printDLQEntry(w io.Writer, e dlq.Entry) {
	fmt.Fprintf(w, "entry %d on %s\n  consumer       %s\n  subject        %s (stream %s, seq %d)\n  attempts       %d\n  first failure  %s\n  last failure   %s\n  error          %s\n\nheaders:\n",
		e.Seq, e.Subject, e.Consumer, e.OriginalSubject, e.OriginalStream, e.OriginalSeq, e.Attempts,
		e.FirstFailure.Format(time.RFC3339), e.LastFailure.Format(time.RFC3339), e.Error)
	keys := make([]string, 0, len(e.Header))
	for k := range e.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, strings.Join(e.Header[k], ", "))
	}
	fmt.Fprintln(w, "\ndata:")
	var pretty bytes.Buffer
	if json.Indent(&pretty, e.Data, "  ", "  ") == nil {
		fmt.Fprintf(w, "  %s\n", pretty.Bytes())
	} else {
		fmt.Fprintf(w, "  %q\n", e.Data)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
