package jsx_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hookstream/hookstream/pkg/jsx"
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
		{"retryable", jsx.Retryable(errBoom), false, 0},
		{"retry after", jsx.RetryAfter(errBoom, 42*time.Second), false, 42 * time.Second},
		{"retry after, wrapped", fmt.Errorf("get order: %w", jsx.RetryAfter(errBoom, time.Second)), false, time.Second},
		{"permanent", jsx.Permanent(errBoom), true, 0},
		{"permanent, wrapped", fmt.Errorf("parse: %w", jsx.Permanent(errBoom)), true, 0},
		{"outermost wins: permanent around retry", jsx.Permanent(jsx.RetryAfter(errBoom, time.Second)), true, 0},
		{"outermost wins: retry around permanent", jsx.Retryable(jsx.Permanent(errBoom)), false, 0},
		{"zero delay means backoff", jsx.RetryAfter(errBoom, 0), false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := jsx.IsPermanent(tc.err); got != tc.wantPermanent {
				t.Errorf("IsPermanent = %v, want %v", got, tc.wantPermanent)
			}
			d, ok := jsx.RetryDelay(tc.err)
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
	if jsx.Retryable(nil) != nil || jsx.RetryAfter(nil, time.Second) != nil || jsx.Permanent(nil) != nil {
		t.Error("classifying nil must give nil, so `return jsx.Permanent(err)` acks on success")
	}
	if jsx.IsPermanent(nil) {
		t.Error("IsPermanent(nil)")
	}
}

func TestClassifiedErrorsWorkWithErrorsAs(t *testing.T) {
	t.Parallel()
	var p *jsx.PermanentError
	if !errors.As(fmt.Errorf("x: %w", jsx.Permanent(errBoom)), &p) || p.Err != errBoom {
		t.Error("errors.As *PermanentError")
	}
	var r *jsx.RetryableError
	if !errors.As(jsx.RetryAfter(errBoom, time.Minute), &r) || r.Delay != time.Minute {
		t.Error("errors.As *RetryableError")
	}
}
