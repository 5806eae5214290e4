package runner

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookstream/hookstream/pkg/tracing"
)

// startSpan starts the consumer span of one delivery, continuing the trace
// of the message's ce-traceparent (the gateway's span, or the span of the
// consumer that published a canonical event). The span's context is in the
// returned ctx, so the handler's provider calls and state changes are its
// children and the canonical events it publishes carry it. end ends the
// span with the delivery's outcome (ack, retry, dlq, term, as the metric
// hookstream_consumer_messages_total counts them; ack_unconfirmed or
// owed_to_dlq when the settlement itself failed) and the handler's error.
func (r *Runner) startSpan(ctx context.Context, m *Message) (context.Context, func(error)) {
	ctx, span := tracing.Start(tracing.FromHeader(ctx, m.Msg.Headers()), r.cfg.Durable+" process",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.operation.type", "process"),
			attribute.String("messaging.consumer.group.name", r.cfg.Durable),
			attribute.String("messaging.destination.name", m.Subject),
			attribute.String("hookstream.stream", r.cfg.Stream),
			attribute.Int64("hookstream.stream_seq", int64(m.StreamSeq)),
			attribute.Int64("hookstream.delivery_count", int64(m.Attempt)),
		))
	return ctx, func(err error) {
		if m.Event != nil {
			span.SetAttributes(attribute.String("messaging.message.id", m.Event.ID()), attribute.String("cloudevents.event_type", m.Event.Type()))
		}
		span.SetAttributes(attribute.String("hookstream.outcome", m.outcome))
		tracing.End(span, err)
	}
}
