package consumer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookstream/hookstream/pkg/catalog"
	"github.com/hookstream/hookstream/pkg/runner"
)

// HandlerFunc is what a [Route] takes: a runner.Handler, or a function of
// the decoded CloudEvent alone for a handler that needs nothing else of
// the message.
type HandlerFunc interface {
	runner.Handler | func(context.Context, *runner.Message) error | func(context.Context, *event.Event) error
}

// Route is one line of a service's table of the webhooks it handles; make
// it with [On] or [OnFamily] and collect the lines with [NewRoutes].
type Route struct {
	provider string
	tokens   string // the event's subject tokens, "order.refund.created"
	family   bool
	handle   runner.Handler
}

// On routes one catalogued webhook, by the provider's own event name
// (catalog.Webhook: "ORDER_NOTIFY", "order.refund.created",
// "orders/create"), to h. It panics when the catalog lacks the event, so a
// typo fails when the service starts, not in production traffic.
func On[H HandlerFunc](provider, event string, h H) Route {
	et, err := catalog.Webhook(provider, event)
	if err != nil || !et.Known {
		panic(fmt.Sprintf("consumer: %s %s is not in the catalog", provider, event))
	}
	return Route{provider: provider, tokens: strings.TrimPrefix(et.Subject, "webhooks."+provider+"."), handle: handler(h)}
}

// OnReconciled routes the reconciler's resources of one kind from
// provider (catalog.Reconciliation: webhooks.<provider>.reconciled.<kind>)
// to h. It panics when the catalog lacks them.
func OnReconciled[H HandlerFunc](provider, kind string, h H) Route {
	et, err := catalog.Reconciliation(provider, kind)
	if err != nil {
		panic(fmt.Sprintf("consumer: %v", err))
	}
	return Route{provider: provider, tokens: strings.TrimPrefix(et.Subject, "webhooks."+provider+"."), handle: handler(h)}
}

// OnFamily routes every webhook of provider whose event name starts with
// prefix and a separator ("order" takes Snipcart's order.completed,
// order.status.changed and any order.* event the catalog does not know
// yet; "fulfillment_order" takes SHOPLINE's fulfillment_order/*) to h. A
// webhook that also has a route of its own, or a longer family, takes that
// one. It panics when prefix is no valid name or names no catalogued
// webhook.
func OnFamily[H HandlerFunc](provider, prefix string, h H) Route {
	tokens, err := catalog.Tokens(prefix)
	if err != nil {
		panic(fmt.Sprintf("consumer: family %s %q: %v", provider, prefix, err))
	}
	r := Route{provider: provider, tokens: strings.Join(tokens, "."), family: true, handle: handler(h)}
	if !slices.ContainsFunc(catalog.Webhooks(), func(et catalog.EventType) bool { return r.takes(et.Subject) }) {
		panic(fmt.Sprintf("consumer: family %s %q has no catalogued webhook", provider, prefix))
	}
	return r
}

func handler[H HandlerFunc](h H) runner.Handler {
	switch f := any(h).(type) {
	case runner.Handler:
		return f
	case func(context.Context, *runner.Message) error:
		return f
	case func(context.Context, *event.Event) error:
		return func(ctx context.Context, m *runner.Message) error { return f(ctx, m.Event) }
	}
	panic("unreachable")
}

// subject is the route's filter subject on WEBHOOKS.
func (r Route) subject() string {
	s := "webhooks." + r.provider + "." + r.tokens
	if r.family {
		s += ".>"
	}
	return s
}

// typ is the route's CloudEvents type; a family's ends in a dot.
func (r Route) typ() string {
	t := "com." + r.provider + ".webhook." + r.tokens
	if r.family {
		t += "."
	}
	return t
}

// takesType reports whether the route takes a webhook of CloudEvents type
// ceType (the type and the subject follow the same rule, so this is
// takes on the subject).
func (r Route) takesType(ceType string) bool {
	if r.family {
		return strings.HasPrefix(ceType, r.typ())
	}
	return ceType == r.typ()
}

// takes reports whether the route takes a webhook published on subject.
func (r Route) takes(subject string) bool {
	if r.family {
		return strings.HasPrefix(subject, strings.TrimSuffix(r.subject(), ">"))
	}
	return subject == r.subject()
}

// Routes is a service's table of handled webhooks: the durable consumer's
// filter subjects and the dispatch of each delivery both come from it, so a
// webhook type can be neither consumed without a handler nor handled
// without being consumed. Adding a handled webhook is one [On] line.
type Routes struct {
	service string
	routes  []Route // most specific first: exact routes, then families by length
}

// NewRoutes collects a service's routes. It panics when two routes take
// the same webhook type or family (a table is static: that is a
// programming error).
func NewRoutes(service string, routes ...Route) *Routes {
	rs := slices.Clone(routes)
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.subject()] {
			panic(fmt.Sprintf("consumer: %s routes %s twice", service, r.subject()))
		}
		seen[r.subject()] = true
	}
	slices.SortStableFunc(rs, func(a, b Route) int {
		if a.family != b.family {
			if a.family {
				return 1
			}
			return -1
		}
		return len(b.tokens) - len(a.tokens)
	})
	return &Routes{service: service, routes: rs}
}

// FilterSubjects are the subjects of the WEBHOOKS stream the routes take:
// one per route, leaving out those a family already covers (JetStream
// refuses overlapping filters), in a stable order.
func (rs *Routes) FilterSubjects() []string {
	var out []string
	for i, r := range rs.routes {
		covered := slices.ContainsFunc(rs.routes[i+1:], func(f Route) bool { return f.family && f.takes(r.subject()) })
		if !covered {
			out = append(out, r.subject())
		}
	}
	slices.Sort(out)
	return out
}

// route returns the most specific route of a CloudEvents type.
func (rs *Routes) route(ceType string) (Route, bool) {
	for _, r := range rs.routes {
		if r.takesType(ceType) {
			return r, true
		}
	}
	return Route{}, false
}

// Handles reports whether a webhook of CloudEvents type ceType has a route.
func (rs *Routes) Handles(ceType string) bool {
	_, ok := rs.route(ceType)
	return ok
}

// Handle is the runner.Handler of the routes: it calls the route of the
// message's CloudEvents type (by type, not subject, so that a webhook sent
// again through REPLAY takes the same route). A message no route takes
// goes to the DLQ: only a filter changed behind the service's back, or a
// replay of something else, delivers one.
func (rs *Routes) Handle(ctx context.Context, m *runner.Message) error {
	r, ok := rs.route(m.Event.Type())
	if !ok {
		return runner.Permanent(fmt.Errorf("%s does not handle events of type %s", rs.service, m.Event.Type()))
	}
	return r.handle(ctx, m)
}
