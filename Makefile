# CogniForge Functions. `make run` starts the local runtime, `make test` runs
# every test. See README.md.
SHELL := /bin/bash
GO ?= go
ARCH ?= arm64
FUNCTIONS := $(notdir $(wildcard functions/*))
BUILD := build
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= .data
# Build tags: TAGS=kafka links the Kafka bus (COGNIFORGE_KAFKA_BROKERS) into
# the functions, about 7 MB more per binary; the CLI always has it.
TAGS ?=
# Keep `make test` under 10 minutes on 2 cores.
TEST_TIMEOUT ?= 9m

.PHONY: all run test unit bench bench-tools build lint fuzz clean deps tools cli

all: build

deps:
	@$(GO) mod download

cli: deps
	@mkdir -p bin
	$(GO) build -tags kafka -o bin/cogniforge ./cmd/cogniforge

# The webhook channel of config/oncall/channels.yaml signs with this secret
# and the runtime's inbox (/hooks) checks it; a local-only default.
COGNIFORGE_WEBHOOK_SECRET ?= local-dev-secret
export COGNIFORGE_WEBHOOK_SECRET

# The local vault's key (.data/vault.json, config/secrets): a local-only
# default, never for real secrets; set your own to override it.
COGNIFORGE_VAULT_KEY ?= 6c6f63616c2d6f6e6c792d7661756c742d6b65792d6e6f742d612d7365637265
export COGNIFORGE_VAULT_KEY

run: cli
	./bin/cogniforge run --addr $(ADDR) --data-dir $(DATA_DIR)

# The packages with concurrency (issue 9: runtime, queue, sfnlocal, store,
# saga, faas, the bus; the SLO evaluator's concurrent reads, incidents and
# notifications racing on one key) run under the race detector (instead of
# plainly, so nothing runs twice); the rest run plainly. Lint first: a
# formatting or staticcheck finding fails CI like a test does.
RACE_PKGS := ./pkg/localruntime/... ./pkg/sfnlocal/... ./pkg/store/... ./pkg/saga/... ./pkg/faas/... ./pkg/bus/... ./pkg/slo/... ./pkg/incident/... ./pkg/notify/... ./pkg/secrets/... ./pkg/config/... ./pkg/resilience/... ./pkg/discovery/... ./pkg/chaos/... ./pkg/streams/... ./pkg/dlq/... ./pkg/eventstore/... ./pkg/projection/... ./pkg/ratelimit/... ./pkg/apiclient/... ./pkg/apilifecycle/... ./pkg/apicalls/...
RACE_DIRS := $(subst /...,,$(subst ./,/,$(RACE_PKGS)))

# The apply/destroy test (test/deploy, about 5 minutes, mostly waiting on
# terraform and moto) runs beside the others instead of before the race
# phase; its output is printed when it ends. Every part runs, and the
# target fails if any failed.
test: deps lint
	@mkdir -p $(BUILD)
	@$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./test/deploy/ > $(BUILD)/test-deploy.log 2>&1 & deploy=$$!; status=0; \
	echo "go test ./test/deploy/ (in the background)"; \
	set -x; \
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v -e '/test/deploy$$' $(foreach d,$(RACE_DIRS),-e '$(d)\($$\|/\)')) || status=1; \
	$(GO) test -count=1 -race -timeout $(TEST_TIMEOUT) $(RACE_PKGS) || status=1; \
	$(GO) test -count=1 -tags kafka -run Kafka ./pkg/wiring/ || status=1; \
	set +x; \
	wait $$deploy || status=1; cat $(BUILD)/test-deploy.log; exit $$status

# The loopback benchmarks drive the runtime with wrk (Debian package).
bench-tools:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

bench: deps bench-tools
	mkdir -p $(BUILD) && $(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee $(BUILD)/bench.txt

# Each function as a Linux bootstrap for provided.al2023, zipped with fixed
# file times so the zip (and Terraform's hash of it) changes only with the code.
build: deps $(addprefix $(BUILD)/,$(addsuffix .zip,$(FUNCTIONS)))

$(BUILD)/%.zip: FORCE
	@mkdir -p $(BUILD)/$*
	CGO_ENABLED=0 GOOS=linux GOARCH=$(ARCH) $(GO) build -trimpath -tags lambda.norpc$(if $(TAGS),$(comma)$(TAGS)) -buildvcs=false -ldflags "-s -w" -o $(BUILD)/$*/bootstrap ./functions/$*
	@touch -h -d '1980-01-01T00:00:00Z' $(BUILD)/$*/bootstrap
	@rm -f $@ && cd $(BUILD)/$* && TZ=UTC zip -q -X -D ../$*.zip bootstrap
	@echo "$@ $$(stat -c %s $@) bytes"

FORCE:
comma := ,

lint: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags kafka ./pkg/wiring/
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	terraform fmt -check -recursive infra

FUZZTIME ?= 30s
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf $(BUILD) bin

# ---- Deployment to LocalStack (see localstack/README.md, infra/) ----
LOCALSTACK_ENDPOINT ?= http://localhost:4566
COMPOSE_LOCALSTACK := docker compose -f localstack/docker-compose.yml
# LocalStack runs functions in containers of the host's architecture.
LOCAL_ARCH ?= $(shell $(GO) env GOARCH)
TF_LOCAL := terraform -chdir=infra/envs/local
TF_LOCAL_VARS = -var endpoint=$(LOCALSTACK_ENDPOINT) -var architecture=$(if $(filter amd64,$(LOCAL_ARCH)),x86_64,arm64)

.PHONY: localstack-up localstack-down deploy-local destroy-local tf-fmt

localstack-up:
	$(COMPOSE_LOCALSTACK) up -d
	@echo "waiting for LocalStack at $(LOCALSTACK_ENDPOINT) (services and init hooks)..."
	@for i in $$(seq 1 90); do \
	  if curl -fsS $(LOCALSTACK_ENDPOINT)/_localstack/init/ready 2>/dev/null | grep -q '"completed": *true'; then \
	    echo "LocalStack is ready"; exit 0; \
	  fi; \
	  sleep 2; \
	done; \
	echo "LocalStack was not ready after 180s"; $(COMPOSE_LOCALSTACK) logs --tail 50; exit 1

localstack-down:
	$(COMPOSE_LOCALSTACK) down

deploy-local:
	$(MAKE) build ARCH=$(LOCAL_ARCH)
	$(TF_LOCAL) init -input=false
	$(TF_LOCAL) apply -auto-approve -input=false $(TF_LOCAL_VARS)

destroy-local:
	$(TF_LOCAL) destroy -auto-approve -input=false $(TF_LOCAL_VARS)

tf-fmt:
	terraform fmt -recursive infra
