#!/usr/bin/env bash
# Static checks: go vet and staticcheck (from the Go module proxy, pinned).
# Run from anywhere; exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.8.2} # builds and runs with Go 1.26

go vet ./...
go run "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}" ./...
echo "lint: go vet and staticcheck ${STATICCHECK_VERSION} found nothing"
