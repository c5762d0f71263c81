#!/bin/bash
# k8s-build.sh CACHE RECIPE: Kubernetes v1.20.2 server binaries built from Debian's source package, for
# labs with no Kubernetes repository. Reuses CACHE (source, tree, Go objects); writes CACHE/bin and,
# last, CACHE/bin/RECIPE, so a half-finished build is never taken for a finished one.
set -euo pipefail
cache=$1; recipe=$2
src=$cache/src; out=$cache/bin
mkdir -p "$src" "$out"
# one build at a time: a second provisioning run waits for the first, then finds its result
exec 9>"$cache/build.lock"
flock 9
if [ "$(cat "$out/RECIPE" 2>/dev/null)" = "$recipe" ]; then echo "k8s-build: $recipe already built"; exit 0; fi
log=$cache/build.log
exec > >(tee -a "$log") 2>&1
echo "$(date -u +%FT%TZ) k8s-build: recipe $recipe in $cache"
export DEBIAN_FRONTEND=noninteractive

# 1. Debian's source index (deb-src), only when kubernetes has no source candidate yet
if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version: 1.20'; then
    cat > /etc/apt/sources.list.d/labconform-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q -o DPkg::Lock::Timeout=600
fi

# 2. the toolchain and the reflect2 that works with Go 1.19
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends golang-go golang-github-modern-go-reflect2-dev \
    build-essential dpkg-dev rsync
go version

# 3. the source package, unpacked once
tree=$(find "$src" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -1)
if [ -z "$tree" ] || [ ! -e "$tree/.labconform-unpacked" ]; then
    rm -rf "$src"/kubernetes-*/
    (cd "$src" && apt-get source --download-only kubernetes)
    dsc=$(ls "$src"/kubernetes_*.dsc | head -1)
    (cd "$src" && dpkg-source --no-check -x "$dsc")
    tree=$(find "$src" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -1)
    # Go 1.19 breaks the vendored reflect2 1.0.1 (nil pointer panics): use Debian's 1.0.2
    rm -rf "$tree/vendor/github.com/modern-go/reflect2"
    cp -a /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"
    touch "$tree/.labconform-unpacked"
fi

# 4. GOPATH build, as Debian's debian/rules does
mkdir -p "$cache/gopath/src/k8s.io"
ln -sfn "$tree" "$cache/gopath/src/k8s.io/kubernetes"
cd "$cache/gopath/src/k8s.io/kubernetes"
export GOPATH=$cache/gopath GO111MODULE=off GOCACHE=$cache/gocache GOFLAGS=
# a tree from a tarball has no git: give the build its version
export KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 KUBE_GIT_TREE_STATE=clean
make WHAT="cmd/kubelet cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kube-proxy cmd/kubeadm cmd/kubectl"
bins=_output/local/bin/linux/$(go env GOARCH)
[ -d "$bins" ] || bins=_output/bin
for b in kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubeadm kubectl; do
    install -m 755 "$bins/$b" "$out/$b"
done

# 5. the pod sandbox's pause, static so it runs in an empty image
gcc -Os -static -DVERSION=3.2 -o "$out/pause" build/pause/linux/pause.c
strip "$out/pause"
"$out/kubeadm" version -o short
echo "$recipe" > "$out/RECIPE"
echo "$(date -u +%FT%TZ) k8s-build: done"
