#!/bin/bash
# k8s-images.sh CACHE RECIPE MIRROR: the control-plane images kubeadm v1.20.2 asks for, built locally from a
# debootstrap base and the cached binaries (no registry serves them offline). Tags exactly what kubeadm wants.
set -euo pipefail
cache=$1; recipe=$2; mirror=$3
bin=$cache/bin
exec 9>"$cache/images.lock"
flock 9
base_tar=$cache/k8s-base-rootfs.tar
if [ ! -s "$base_tar" ]; then
    work=$(mktemp -d /var/tmp/labconform-k8s-base.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # the mirror sometimes refuses a first request (seen once from a lab node): three tries, 10 s apart
    for try in 1 2 3; do
        echo "debootstrap bookworm with iptables, conntrack, etcd-server (try $try of 3)"
        rm -rf "$work/root"
        if debootstrap --variant=minbase --include=iptables,conntrack,etcd-server,ca-certificates bookworm \
            "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1; then
            break
        fi
        tail -20 "$work/debootstrap.log"
        [ "$try" = 3 ] && exit 1
        sleep 10
    done
    chroot "$work/root" apt-get clean
    rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/usr/share/doc" "$work/root/usr/share/man"
    tar -C "$work/root" -c . > "$base_tar.tmp"
    mv "$base_tar.tmp" "$base_tar"
fi
base=labconform/k8s-base:$(echo "$recipe" | tr -c "A-Za-z0-9_.\n-" -)
docker image inspect "$base" >/dev/null 2>&1 || docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL org.labconform.recipe=$recipe" "$base_tar" "$base"

ctx=$(mktemp -d /var/tmp/labconform-k8s-img.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
build() {  # build TAG DOCKERFILE-LINES...
    local tag=$1; shift
    printf '%s\n' "$@" "LABEL org.labconform.recipe=$recipe" > "$ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
    echo "built $tag"
}
for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
    rm -f "$ctx"/kube* "$ctx/pause"; cp "$bin/$c" "$ctx/$c"
    build "k8s.gcr.io/$c:v1.20.2" "FROM $base" "COPY $c /usr/local/bin/$c"
done
rm -f "$ctx"/kube*
build "k8s.gcr.io/etcd:3.4.13-0" "FROM $base"
cp "$bin/pause" "$ctx/pause"
build "k8s.gcr.io/pause:3.2" "FROM scratch" "COPY pause /pause" 'ENTRYPOINT ["/pause"]'
