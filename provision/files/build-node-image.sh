#!/bin/bash
# build-node-image.sh IMAGE MIRROR RECIPE: a lab node image, Debian 12 booting systemd as PID 1 with an
# SSH server, as a freshly installed VM would be before the document's first command.
set -euo pipefail
image=$1; mirror=$2; recipe=$3
work=$(mktemp -d /var/tmp/labconform-node.XXXXXX)
root=$work/root
cleanup() {  # debootstrap may have left /proc or /sys mounted in the root: never recurse into them
    grep -o " $root/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pkgs=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,iproute2,iputils-ping,kmod,procps,python3,sudo,curl
pkgs=$pkgs,ca-certificates,apt-utils,less,cron
echo "debootstrap bookworm with systemd and openssh-server into $root (about a minute)"
debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man"
# every node makes its own identity at first boot: machine-id and SSH host keys
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
cat > "$root/etc/systemd/system/labconform-ssh-keygen.service" <<'UNIT'
[Unit]
Description=SSH host keys made on this node's first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/labconform-ssh-keygen.service \
    "$root/etc/systemd/system/multi-user.target.wants/labconform-ssh-keygen.service"
# what a container cannot do: consoles, udev and the kernel's own file systems are the lab host's
for unit in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
        systemd-modules-load.service sys-kernel-debug.mount sys-kernel-tracing.mount \
        sys-kernel-config.mount systemd-remount-fs.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# SSH: keys only, root may log in with a key, as on the document's VM
printf 'PasswordAuthentication no\nPermitRootLogin prohibit-password\n' > "$root/etc/ssh/sshd_config.d/labconform.conf"
echo "importing as $image"
tar -C "$root" -c . | docker import \
    --change 'ENV container=docker' \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change "LABEL org.labconform.built-from=debian-bookworm org.labconform.recipe=$recipe" \
    - "$image" > /dev/null
# an import cut short (a tar that died) must not pass for an image: it boots systemd from here
docker run --rm --entrypoint /bin/test "$image" -x /lib/systemd/systemd \
    || { docker rmi -f "$image" >/dev/null 2>&1; echo "the imported $image has no /lib/systemd/systemd" >&2; exit 1; }
echo "built $image"
