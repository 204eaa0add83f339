#!/usr/bin/env bash
# The whole maju test suite: lint, type-check, unit, fuzz seeds, integration (pion peers) and real-browser
# end-to-end tests. Usage: scripts/test.sh   (CI runs exactly this through .ci/run)
#
# On Debian/Ubuntu as root it installs the system packages it needs; elsewhere it names what is missing.
# As root, every test runs inside a loopback-only network namespace, so no test traffic leaves the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# --- system packages -------------------------------------------------------------------------------
# command → Debian package
declare -A packages=([chromium]=chromium [node]=nodejs [npm]=npm [unshare]=util-linux [ip]=iproute2
  [turnserver]=coturn)
missing=()
for cmd in "${!packages[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${packages[$cmd]}")
done
# A Korean font, so the Korean UI's screenshots show Hangul rather than empty boxes.
if ! fc-list :lang=ko 2>/dev/null | grep -q . && [[ ! -e /usr/share/fonts/truetype/nanum/NanumGothic.ttf ]]; then
  missing+=(fonts-nanum)
fi
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Under systemd, installing coturn enables and starts coturn.service on port 3478 (maju's default
    # TURN port); the tests start their own turnserver, so stop it. Without systemd nothing starts (the
    # init script wants TURNSERVER_ENABLED=1 in /etc/default/coturn).
    if [[ " ${missing[*]} " == *" coturn "* && -d /run/systemd/system ]]; then
      systemctl disable --now coturn.service >/dev/null 2>&1 || true
    fi
  else
    echo "scripts/test.sh: missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# --- dependencies, fetched before the tests lose the network -------------------------------------------
log "dependencies"
go mod download
if [[ ! -d node_modules/typescript ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- static checks ---------------------------------------------------------------------------------
log "gofmt, go vet, staticcheck, tsc"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [[ -n $unformatted ]]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go tool staticcheck ./...
npx --no-install tsc --noEmit --checkJs -p tsconfig.json
node --test --test-reporter=spec e2e/unit/

# --- tests -----------------------------------------------------------------------------------------
# Compile first (with the network), so the namespace run needs none.
go test -race -count=1 -run '^$' ./... >/dev/null

isolated() {
  if [[ $(id -u) == 0 ]]; then
    unshare -n sh -c 'ip link set lo up && exec "$@"' -- "$@"
  else
    echo "(not root: running without a network namespace; peers still gather loopback candidates only)" >&2
    "$@"
  fi
}

# The core call tests run MAJU_BROWSER_COUNT times (default 1; raise it to hunt flakiness); the slower TURN
# browser tests (relay calls, credential expiry, diagnosis timeouts) run MAJU_TURN_BROWSER_COUNT times
# (default 1), which keeps the whole run under 15 minutes on 2 cores.
log "go test -race ./...  (browser tests repeated ${MAJU_BROWSER_COUNT:=1} times, TURN browser tests ${MAJU_TURN_BROWSER_COUNT:=1})"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TMPDIR=$tmp isolated go test -race -count=1 -timeout 10m $(go list ./... | grep -v /e2e$)
# Guards that only hold without the race detector's larger frames (build tag !race).
TMPDIR=$tmp isolated go test -count=1 -run '^TestIdleConnectionStacksStaySmall$' ./internal/signaling
TMPDIR=$tmp isolated go test -race -count="$MAJU_BROWSER_COUNT" -skip '^TestTURN' -timeout "$((MAJU_BROWSER_COUNT * 8 + 4))m" ./e2e/
TMPDIR=$tmp isolated go test -race -count="$MAJU_TURN_BROWSER_COUNT" -run '^TestTURN' -timeout "$((MAJU_TURN_BROWSER_COUNT * 3 + 5))m" ./e2e/
