#!/bin/sh
# The release build of maju: one static binary (no cgo, no libc, no dynamic loader), reproducible paths,
# the version stamped in. The Dockerfile and the release steps in docs/deploy-aws.md use exactly this.
#
# Usage: scripts/build-static.sh OUT [VERSION]
#   OUT      where to write the binary (relative paths are taken from the directory you run it in)
#   VERSION  e.g. v1.2.3; default: `git describe --tags --always --dirty` in a git work tree, else "devel"
#
# Cross-compiling works as usual: GOOS=linux GOARCH=arm64 scripts/build-static.sh maju-linux-arm64
set -eu

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT [VERSION]" >&2
  exit 2
fi
out=$1

# OUT is relative to the caller's directory; the build runs from the repository root.
case $out in
  /*) ;;
  *) out=$(pwd)/$out ;;
esac
cd "$(dirname "$0")/.."

if [ "$#" -eq 2 ] && [ -n "$2" ]; then
  version=$2
elif command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  version=$(git describe --tags --always --dirty)
else
  version=devel
fi
case $version in
  *[!A-Za-z0-9._+-]*)
    echo "$0: version $version: only letters, digits and . _ + - are allowed" >&2
    exit 2
    ;;
esac

CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/maju-call/maju/internal/version.Version=$version" \
  -o "$out" ./cmd/maju
echo "built $out ($version)"
