# Copies the module downloads in the build context (a Go module cache's
# cache/download) into the Go module cache that deploy/docker/Dockerfile's
# builds mount (--mount=type=cache,target=/go/pkg/mod: the same cache, as
# the same target is the same cache id), so that their `go mod download`
# finds every module without network. compose-test.sh runs it.
FROM golang:1.26
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=bind,target=/seed \
    mkdir -p /go/pkg/mod/cache/download && cp -a /seed/* /go/pkg/mod/cache/download/ && \
    du -s /seed /go/pkg/mod/cache/download
