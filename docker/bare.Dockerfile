# A stand-in for a fresh GitHub runner (ubuntu-24.04) for the prebuilt test:
# Go, python3 without h11, curl and git; no LuaJIT, luv, valgrind, wrk, QEMU,
# zig, perl or make. `go tool mage docker:bare` builds it (the tag is a hash
# of this file and the Go version) and runs `MONGOOSE_FFI_PREBUILT=1 go tool
# mage test` in it; it runs as root, as a runner's sudo does, so that
# `go tool mage peers:install` can use apt-get.
FROM debian:trixie-slim

ARG GO_VERSION
ARG VERSION=dev
ARG REVISION=unknown

LABEL org.opencontainers.image.title="mongoose-ffi bare runner" \
      org.opencontainers.image.description="Go, python3, curl and git: a fresh CI runner for the prebuilt test" \
      org.opencontainers.image.source="https://github.com/mongoose-ffi/mongoose-ffi" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8

# certs/ holds the CA certificates the host added (usually none), for
# machines behind a TLS-inspecting proxy.
COPY certs/ /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git python3 golang-go \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# Go as go.mod asks: trixie's Go fetches that toolchain, which then stands alone.
RUN GOTOOLCHAIN=go${GO_VERSION} GOPATH=/tmp/gopath go version \
 && cp -a /tmp/gopath/pkg/mod/golang.org/toolchain@v0.0.1-go${GO_VERSION}.linux-$(dpkg --print-architecture) /usr/local/go \
 && chmod -R a+rX /usr/local/go && rm -rf /tmp/gopath \
 && apt-get purge -y golang-go && apt-get autoremove -y
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local

# Go's caches are named volumes (docker:bare mounts them) so repeated runs are
# warm; the checkout is copied into /src at each run.
RUN mkdir /gomod /gocache /src
ENV GOMODCACHE=/gomod GOCACHE=/gocache
WORKDIR /src
