package runner_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/runner"
)

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		err           error
		wantPermanent bool
		wantDelay     time.Duration
	}{
		{"unclassified", errBoom, false, 0},
		{"retryable", runner.Retryable(errBoom), false, 0},
		{"retry after", runner.RetryAfter(errBoom, 42*time.Second), false, 42 * time.Second},
		{"retry after, wrapped", fmt.Errorf("get order: %w", runner.RetryAfter(errBoom, time.Second)), false, time.Second},
		{"permanent", runner.Permanent(errBoom), true, 0},
		{"permanent, wrapped", fmt.Errorf("parse: %w", runner.Permanent(errBoom)), true, 0},
		{"outermost wins: permanent around retry", runner.Permanent(runner.RetryAfter(errBoom, time.Second)), true, 0},
		{"outermost wins: retry around permanent", runner.Retryable(runner.Permanent(errBoom)), false, 0},
		{"zero delay means backoff", runner.RetryAfter(errBoom, 0), false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := runner.IsPermanent(tc.err); got != tc.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.wantPermanent)
			}
			d, ok := runner.RetryDelay(tc.err)
			if d != tc.wantDelay || ok != (tc.wantDelay > 0) {
				t.Errorf("RetryDelay = %v, %v; want %v", d, ok, tc.wantDelay)
			}
			if !errors.Is(tc.err, errBoom) {
				t.Errorf("classified error does not unwrap to its cause")
			}
		})
	}
}

func TestClassifiersKeepNil(t *testing.T) {
	t.Parallel()
	if runner.Retryable(nil) != nil || runner.RetryAfter(nil, time.Second) != nil || runner.Permanent(nil) != nil {
		t.Error("classifying nil must give nil, so `return runner.Permanent(err)` acks on success")
	}
	if runner.IsPermanent(nil) {
		t.Error("IsPermanent(nil)")
	}
}

func TestClassifiedErrorsWorkWithErrorsAs(t *testing.T) {
	t.Parallel()
	var p *runner.PermanentError
	if !errors.As(fmt.Errorf("x: %w", runner.Permanent(errBoom)), &p) || p.Err != errBoom {
		t.Error("errors.As *PermanentError")
	}
	var r *runner.RetryableError
	if !errors.As(runner.RetryAfter(errBoom, time.Minute), &r) || r.Delay != time.Minute {
		t.Error("errors.As *RetryableError")
	}
}
