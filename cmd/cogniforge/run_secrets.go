package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/cogniforge/cogniforge/pkg/faas"
	"github.com/cogniforge/cogniforge/pkg/faas/lambda"
	"github.com/cogniforge/cogniforge/pkg/registry/secretsfn"
	"github.com/cogniforge/cogniforge/pkg/secrets"
	"github.com/cogniforge/cogniforge/pkg/wiring"
)

// rotationCheckInterval is how often `cogniforge run` looks for secrets
// whose rotation is due.
const rotationCheckInterval = time.Minute

// localRotations is what `cogniforge run` does in place of Secrets
// Manager's scheduler: it creates the secrets config/secrets/*.yaml
// declares in the local vault, then every minute rotates the ones whose
// rules say they are due, invoking secret-rotator's four steps in order
// with the payload Secrets Manager sends, through the Lambda adapter. It
// does nothing on AWS ports (Secrets Manager schedules there), nor without
// a data directory or a vault key (it says so when secrets are declared).
// It returns when ctx ends.
func localRotations(ctx context.Context, ports wiring.Ports, dataDir string, logger *slog.Logger) {
	if ports.AWS != nil || dataDir == "" {
		return
	}
	env := func(k string) string {
		if k == wiring.EnvDataDir {
			return dataDir
		}
		return os.Getenv(k)
	}
	path := secretsfn.VaultPath(env)
	var declared []secrets.Declared
	if ports.Config != nil {
		files, err := ports.Config(ctx, "secrets")
		if err != nil {
			logger.Error("cogniforge: config/secrets", "error", err)
			return
		}
		for _, f := range files {
			ds, err := secrets.ParseDeclarations(f.Name, f.Data)
			if err != nil {
				logger.Error("cogniforge: declared secrets refused", "error", err)
				return
			}
			declared = append(declared, ds...)
		}
	}
	open := func() (*secrets.FileVault, error) { return secretsfn.OpenLocalVault(env, path) }
	v, err := open()
	if err != nil {
		if len(declared) > 0 {
			logger.Warn("cogniforge: declared secrets not created, no local rotations", "error", err)
		}
		return
	}
	for _, d := range declared {
		created, err := d.Ensure(ctx, v)
		if err != nil {
			logger.Error("cogniforge: declared secret", "secretId", d.Name, "error", err)
			continue
		}
		if created {
			rules, _ := d.Rules()
			logger.Info("cogniforge: secret created in the local vault", "secretId", d.Name, "vault", path, "rule", rules.String())
		}
	}
	fn, err := secretsfn.Builder(env)(ports)
	if err != nil {
		logger.Error("cogniforge: secret-rotator for local rotations", "error", err)
		return
	}
	inv := lambda.NewInvoker(fn, adapterOptions(ports)...)
	invoke := func(ctx context.Context, req secrets.Request) error {
		payload, err := json.Marshal(req)
		if err != nil {
			return err
		}
		_, err = inv.Invoke(ctx, payload)
		return err
	}
	for {
		rs, err := secrets.RotateDue(ctx, open, time.Now(), invoke)
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("cogniforge: local rotations", "error", err)
		}
		for _, r := range rs {
			if r.Err != nil {
				// Only the error's name: a message may quote a target.
				logger.Warn("cogniforge: rotation failed; AWSCURRENT unchanged (cogniforge secrets doctor)", "secretId", r.SecretID, "token", r.Token, "resumed", r.Resumed, "errorName", faas.ErrorName(r.Err))
				continue
			}
			logger.Info("cogniforge: secret rotated", "secretId", r.SecretID, "token", r.Token, "resumed", r.Resumed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(rotationCheckInterval):
		}
	}
}
