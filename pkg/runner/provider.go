package runner

import (
	"errors"
	"time"

	"github.com/hookstream/hookstream/pkg/provider"
)

// ClassifyProvider maps an error of a provider API call to what the runner
// should do with the message: a delay the provider asked for (a 429's reset,
// from any error with a RetryDelay() method) is waited out with
// NakWithDelay; an outage (provider.ErrUnavailable) is retried with the
// backoff; refused credentials and refused or malformed requests
// (provider.ErrUnauthenticated, provider.ErrMalformed) go to the DLQ at
// once, since retrying cannot help. Anything else is left as it is
// (retryable).
func ClassifyProvider(err error) error {
	var wait interface{ RetryDelay() time.Duration }
	switch {
	case err == nil:
		return nil
	case errors.As(err, &wait):
		return RetryAfter(err, wait.RetryDelay())
	case errors.Is(err, provider.ErrUnavailable):
		return Retryable(err)
	case errors.Is(err, provider.ErrUnauthenticated), errors.Is(err, provider.ErrMalformed):
		return Permanent(err)
	}
	return err
}
