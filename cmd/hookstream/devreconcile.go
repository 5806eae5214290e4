package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/hookstream/hookstream/pkg/sandbox"
	"github.com/hookstream/hookstream/services/reconciler"
)

// devReconcileSettle is how long the development reconciler leaves a
// change to its webhook: `hookstream send` delivers at once, so a few
// seconds tell a dropped webhook from one on its way.
const devReconcileSettle = 5 * time.Second

// reconcileInterval is -reconcile-interval, or its default when unset.
func (o devOptions) reconcileInterval() time.Duration {
	if o.reconcile <= 0 {
		return 30 * time.Second
	}
	return o.reconcile
}

// reconcileSettle is how long the development reconciler leaves a change
// to its webhook: devReconcileSettle, or the interval when shorter.
func (o devOptions) reconcileSettle() time.Duration {
	if o.settle > 0 {
		return o.settle
	}
	return min(devReconcileSettle, o.reconcileInterval())
}

// startReconciler runs the reconciler against the ShipStation, Snipcart
// and SHOPLINE API sandboxes (the orders `hookstream send -drop` records),
// after the consumers (it reads their state buckets), and keeps it in
// env.reconciler. The named accounts of -accounts with API credentials are
// reconciled too.
func startReconciler(ctx context.Context, env *devEnv, log *zap.Logger, o devOptions) error {
	vars := map[string]string{
		"SHIPSTATION_API_KEY":    devShipStationKey,
		"SHIPSTATION_API_SECRET": devShipStationSec,
		"SHIPSTATION_API_URL":    env.apiURL,
		"HEALTH_ADDR":            "-",
		"RECONCILE_INTERVAL":     o.reconcileInterval().String(),
		"RECONCILE_SETTLE":       o.reconcileSettle().String(),
		"RECONCILE_OVERLAP":      "1m",
		"RECONCILE_LOOKBACK":     "1h",
		"SNIPCART_SECRET_KEY":    devSnipcartKey,
		"SNIPCART_API_URL":       env.sandboxURL + sandbox.SnipcartPrefix,
		"SHOPLINE_ACCESS_TOKEN":  devShoplineAccessToken,
		"SHOPLINE_API_URL":       env.sandboxURL + sandbox.ShoplinePrefix,
	}
	if o.apiBudget > 0 {
		vars["SHIPSTATION_RATE_LIMIT"] = strconv.Itoa(o.apiBudget)
	}
	cfg, err := reconciler.Load(env.accounts.lookup(vars))
	if err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	if env.reconciler, err = reconciler.New(cfg, env.nc, log.Named("reconciler")); err != nil {
		return err
	}
	if err := env.reconciler.Provision(ctx); err != nil {
		return fmt.Errorf("reconciler: %w", err)
	}
	env.goServe(func() error { return env.reconciler.Run(ctx) })
	return nil
}
