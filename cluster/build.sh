#!/usr/bin/env bash
# Build the test control plane and its peers from the Go modules in cluster/.
#
# Each module's binaries go into a cache folder keyed by the hash of its go.mod,
# go.sum and this script, so a machine builds each pinned set once:
#   ${QUOTAMETER_CLUSTER_CACHE:-~/.cache/quotameter/cluster}/<module>-<hash>/
# Prints the folder of every module, one line each, as `name=path`.
#
#   cluster/build.sh [controlplane kwok metrics-server kube-state-metrics]   (the default)
#   cluster/build.sh helm thanos                                             (the others)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${QUOTAMETER_CLUSTER_CACHE:-$HOME/.cache/quotameter/cluster}"
command -v go >/dev/null || { echo "cluster/build.sh: the Go toolchain (go) is required" >&2; exit 1; }
export CGO_ENABLED=0

# The version a module's go.mod pins for a dependency, e.g. "v1.36.3".
pinned() { (cd "$here/$1" && go list -m -f '{{.Version}}' "$2"); }

ldflags_for() {
  case "$1" in
    controlplane)
      local v; v="$(pinned controlplane k8s.io/kubernetes)"
      local minor="${v#v1.}"; minor="${minor%%.*}"
      local x
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        x+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        x+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      done
      echo "$x" ;;
    kwok)
      echo "-X sigs.k8s.io/kwok/pkg/consts.Version=$(pinned kwok sigs.k8s.io/kwok | sed 's/^v//')" ;;
    metrics-server)
      echo "-X k8s.io/client-go/pkg/version.gitVersion=$(pinned metrics-server sigs.k8s.io/metrics-server)" ;;
    kube-state-metrics)
      echo "-X github.com/prometheus/common/version.Version=$(pinned kube-state-metrics k8s.io/kube-state-metrics/v2 | sed 's/^v//')" ;;
    thanos)
      echo "-X github.com/prometheus/common/version.Version=$(pinned thanos github.com/thanos-io/thanos | sed 's/^v//')" ;;
  esac
}

# Build tags a module's own release builds use.
tags_for() {
  case "$1" in
    thanos) echo "netgo,slicelabels" ;;  # its .promu.yml
  esac
}

# KWOK runs without kwokctl here, so it needs the stage, metric and usage
# configuration kwokctl would give it: take them from the pinned module itself.
copy_kwok_stages() {
  local src; src="$(cd "$1" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize"
  mkdir -p "$2"
  for d in stage/node/fast stage/node/heartbeat-with-lease stage/pod/fast metrics/resource metrics/usage; do
    for f in "$src/$d"/*.yaml; do
      [ "$(basename "$f")" = kustomization.yaml ] || cp "$f" "$2/"
    done
  done
  chmod u+w "$2"/*.yaml
}

build_module() {
  local name="$1" dir="$here/$1"
  [ -f "$dir/go.mod" ] || { echo "cluster/build.sh: no module $name" >&2; exit 1; }
  local key; key="$(cat "$dir/go.mod" "$dir/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)"
  local out="$cache/$name-$key"
  if [ ! -f "$out/.complete" ]; then
    local start=$SECONDS
    echo "building $name into $out (cold builds take minutes)" >&2
    mkdir -p "$out/bin"
    # The programs are the module's `tool` lines (single or in a block), plus its own ./cmd.
    local pkgs
    pkgs="$(sed -n '/^tool (/,/^)/{/^\t/p}; /^tool [^(]/s/^tool //p' "$dir/go.mod" | tr -d '\t' | tr '\n' ' ')"
    [ -d "$dir/cmd" ] && pkgs+=" ./cmd/..."
    (cd "$dir" && go build -trimpath -buildvcs=false -tags "$(tags_for "$name")" -ldflags "-s -w $(ldflags_for "$name")" -o "$out/bin/" $pkgs)
    [ "$name" = kwok ] && copy_kwok_stages "$dir" "$out/share"
    touch "$out/.complete"
    echo "built $name in $((SECONDS - start)) s" >&2
  fi
  echo "$name=$out/bin"
}

modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(controlplane kwok metrics-server kube-state-metrics)
for m in "${modules[@]}"; do build_module "$m"; done
