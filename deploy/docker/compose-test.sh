#!/usr/bin/env bash
# compose-test.sh: runs docker-compose.yml for real, on a Docker engine.
#
#   deploy/docker/compose-test.sh        # .ci/run calls it; run it as root
#
# 1. Set-up. When no engine answers (docker info), it installs Debian's
#    docker.io (and busybox-static, ca-certificates, tzdata), builds Docker
#    Compose v2 from the Go module proxy, and starts its own dockerd on a
#    private socket (--iptables=false; the default bridge stays on, BuildKit's
#    RUN steps need it). That engine reaches no image registry, so the script
#    builds local stand-ins, under the very names and tags the Dockerfile
#    uses, for golang:1.26 and gcr.io/distroless/static-debian12:{nonroot,
#    debug-nonroot} (deploy/docker/standins/Dockerfile: the machine's static
#    Go toolchain, busybox-static, CA certificates), and seeds the builds'
#    Go module cache (the Dockerfile's --mount=type=cache,target=/go/pkg/mod)
#    from a module cache it fills on the host, so the Dockerfile users run
#    builds here without network.
# 2. `docker compose build`: every image of docker-compose.yml.
# 3. The test, TestDockerCompose in the deploy module (deploy/docker_test.go):
#    the development setup, hookstream send, restart, down and up, the
#    production setup and the three-node cluster with a leader killed under
#    load. It prints PASS or FAIL for each step with its figures.
# 4. Clean-up, whatever happened: `docker compose down -v` for every project
#    the test started, the engine it started stopped, its socket and state
#    and the docker0 bridge removed.
#
# Kept between runs, to make the next one fast: $HOOKSTREAM_DOCKER_CACHE
# (default /var/cache/hookstream-compose-test) holds the compose binary, the
# engine's images and build cache, and the module cache. Delete it to start
# from nothing. An engine already running (DOCKER_HOST or the default
# socket) is used as it is, with its own images: give it the stand-ins with
# HOOKSTREAM_STANDINS=1 when it cannot pull.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${HOOKSTREAM_DOCKER_CACHE:-/var/cache/hookstream-compose-test}
compose_version=v2.40.3
go_image=golang:1.26
export STANDINS_DIR=$repo/deploy/docker/standins
distroless=gcr.io/distroless/static-debian12

t0=$(date +%s)
stage_start=$t0
stage_name=
stage() {
	local now
	now=$(date +%s)
	[ -z "$stage_name" ] || echo "   ($stage_name: $((now - stage_start))s)"
	stage_name=$1
	stage_start=$now
	echo "== docker: $1"
}

run_dir=
mods=
started_engine=
bridge_existed=
cleanup() {
	local rc=$?
	trap - EXIT
	stage "clean-up"
	[ -z "$mods" ] || rm -rf "$mods"
	if docker info >/dev/null 2>&1; then
		# Every project the test started (it names them hookstream-ct-*).
		for p in $(docker ps -a --filter label=com.docker.compose.project --format '{{.Label "com.docker.compose.project"}}' | sort -u | grep '^hookstream-ct-' || true); do
			docker compose -p "$p" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
		done
		for v in $(docker volume ls -q --filter label=com.docker.compose.project | grep '^hookstream-ct-' || true); do
			docker volume rm -f "$v" >/dev/null 2>&1 || true
		done
	fi
	if [ -n "$started_engine" ]; then
		# images the rebuilds replaced, in the engine's own store
		docker image prune -f >/dev/null 2>&1 || true
		local pid
		pid=$(cat "$run_dir/dockerd.pid" 2>/dev/null || true)
		if [ -n "$pid" ]; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
			kill -9 "$pid" 2>/dev/null || true
		fi
		# dockerd's containerd, if it outlived it
		pid=$(cat "$run_dir/exec/containerd/containerd.pid" 2>/dev/null || true)
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
		if [ -z "$bridge_existed" ] && ip link show docker0 >/dev/null 2>&1; then
			ip link delete docker0 2>/dev/null || true
		fi
		umount "$run_dir"/exec/* 2>/dev/null || true
		rm -rf "$run_dir"
		echo "   stopped the engine (pid file $run_dir/dockerd.pid), removed its socket and state; images and build cache stay in $cache/engine"
	fi
	echo "== docker: total $(($(date +%s) - t0))s"
	exit $rc
}
trap cleanup EXIT

# An engine the caller runs (DOCKER_HOST, or the default socket), asked
# before anything is installed: the script's own otherwise.
engine_answers=
docker info >/dev/null 2>&1 && engine_answers=1

stage "set-up: packages"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static) # /bin/busybox, statically linked
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
[ -d /usr/share/zoneinfo ] || need+=(tzdata)
if [ ${#need[@]} -gt 0 ]; then
	echo "   apt-get install ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
docker version --format '   docker client {{.Client.Version}}' 2>/dev/null || true

stage "set-up: Docker Compose $compose_version"
export DOCKER_CONFIG=$cache/docker-config
plugin=$DOCKER_CONFIG/cli-plugins/docker-compose
if ! "$plugin" version 2>/dev/null | grep -q "$compose_version"; then
	mkdir -p "$(dirname "$plugin")"
	dir=$(cd / && go mod download -json "github.com/docker/compose/v2@$compose_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	echo "   go build in $dir"
	(cd "$dir" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$compose_version" -o "$plugin.new" ./cmd)
	mv "$plugin.new" "$plugin"
fi
docker compose version

stage "set-up: engine"
if [ -n "$engine_answers" ]; then
	echo "   using the engine at ${DOCKER_HOST:-the default socket}"
else
	run_dir=$(mktemp -d /tmp/hookstream-dockerd.XXXXXX)
	ip link show docker0 >/dev/null 2>&1 && bridge_existed=1
	mkdir -p "$cache/engine"
	export DOCKER_HOST=unix://$run_dir/docker.sock
	started_engine=1
	dockerd --iptables=false --ip6tables=false \
		--data-root "$cache/engine" --exec-root "$run_dir/exec" \
		--pidfile "$run_dir/dockerd.pid" -H "$DOCKER_HOST" \
		>"$run_dir/dockerd.log" 2>&1 &
	for i in $(seq 1 120); do
		docker info >/dev/null 2>&1 && break
		[ "$i" -lt 120 ] || { echo "dockerd did not answer in 60s:"; tail -20 "$run_dir/dockerd.log"; exit 1; }
		sleep 0.5
	done
	echo "   started dockerd $(docker info --format '{{.ServerVersion}} ({{.Driver}})') at $DOCKER_HOST"
	: "${HOOKSTREAM_STANDINS:=1}"
fi

if [ "${HOOKSTREAM_STANDINS:-}" = 1 ]; then
	stage "set-up: stand-in base images"
	ctx=$cache/standins
	mkdir -p "$ctx"
	goroot=$(go env GOROOT)
	if ! cmp -s "$goroot/VERSION" "$ctx/go/VERSION"; then
		rm -rf "$ctx/go"
		cp -a "$goroot" "$ctx/go"
	fi
	cp /bin/busybox "$ctx/busybox"
	cp -L /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
	[ -d "$ctx/zoneinfo" ] || cp -a /usr/share/zoneinfo "$ctx/zoneinfo"
	STANDINS_CONTEXT=$ctx GO_IMAGE=$go_image DISTROLESS=$distroless \
		docker compose -f "$repo/deploy/docker/standins/compose.yml" build --quiet
	for image in "$go_image" "$distroless:nonroot" "$distroless:debug-nonroot"; do
		echo "   $image $(docker image inspect --format '{{.Id}}' "$image" | cut -c1-19)"
	done

	stage "set-up: Go module cache for the builds"
	# Every module the Dockerfile's `go mod download` steps fetch, from the
	# Go module proxy into a cache of our own, then copied into the builds'
	# cache mount by a build that shares it.
	export GOMODCACHE_SEED=$cache/gomod
	# As the Dockerfile does: the workspace's go.work and go.mod files alone
	# (a copy, since go mod download adds to go.work.sum).
	mods=$(mktemp -d /tmp/hookstream-mods.XXXXXX)
	(cd "$repo" && git ls-files go.work go.work.sum '*go.mod' '*go.sum' | grep -v '^deploy/docker/nats/' | tar -cf - -T - | tar -xf - -C "$mods")
	(cd "$mods" && GOMODCACHE=$GOMODCACHE_SEED GOFLAGS=-modcacherw go mod download)
	# The build has no checksum database either: go.work.sum must already
	# hold every checksum its go mod download needs.
	if ! cmp -s "$mods/go.work.sum" "$repo/go.work.sum"; then
		echo "go.work.sum lacks checksums the image builds' go mod download needs (they would ask"
		echo "the checksum database, which the builds cannot reach): run go mod download at the"
		echo "repository root and commit go.work.sum. Missing:"
		diff "$repo/go.work.sum" "$mods/go.work.sum" | grep '^>' | head -20
		exit 1
	fi
	(cd "$repo/deploy/docker/nats" && GOWORK=off GOMODCACHE=$GOMODCACHE_SEED GOFLAGS=-modcacherw go mod download)
	git -C "$repo" diff --quiet -- deploy/docker/nats/go.sum || { echo "deploy/docker/nats/go.sum is incomplete: go mod download there and commit it"; exit 1; }
	STANDINS_CONTEXT=$ctx GO_IMAGE=$go_image DISTROLESS=$distroless MODULES=$GOMODCACHE_SEED/cache/download \
		docker compose -f "$repo/deploy/docker/standins/compose.yml" --profile seed build --quiet --no-cache seed-modules
	echo "   $(du -sh "$GOMODCACHE_SEED/cache/download" | cut -f1) of modules in the builds' cache"
fi

stage "build: docker compose build"
cd "$repo"
build_log=$cache/last-build.log
if ! docker compose --env-file /dev/null -f docker-compose.yml -f deploy/compose/cluster.yml build --progress plain >"$build_log" 2>&1; then
	tail -60 "$build_log"
	echo "docker compose build failed; its whole output is in $build_log"
	exit 1
fi
echo "   (BuildKit's output: $build_log)"
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^hookstream/' | sort | sed 's/^/   /'

stage "test: TestDockerCompose"
cd "$repo/deploy"
HOOKSTREAM_DOCKER_TEST=1 go test -count=1 -timeout 15m -run '^TestDockerCompose$' -v . 2>&1 |
	grep -v -E '^(=== (RUN|PAUSE|CONT)|PASS$|FAIL$)'
