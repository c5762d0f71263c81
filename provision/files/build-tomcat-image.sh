#!/bin/sh
# build-tomcat-image.sh IMAGE MIRROR RECIPE: a Tomcat 10 image laid out like the official one, built from
# Debian's packages with debootstrap (for labs that reach no image registry).
set -eu
image=$1; mirror=$2; recipe=${3:-unknown}
work=$(mktemp -d /var/tmp/labconform-tomcat.XXXXXX)
root=$work/root
cleanup() { umount "$root/proc" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
echo "debootstrap bookworm into $root"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
# nothing may start as a service inside the root
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
echo "installing tomcat10 and openjdk-17-jre-headless"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    openjdk-17-jre-headless tomcat10 > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; exit 1; }
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
chroot "$root" apt-get clean
rm -rf "$root/var/lib/apt/lists/"*
# the official image's layout under CATALINA_HOME
home=$root/usr/local/tomcat
mkdir -p "$home"
ln -s /usr/share/tomcat10/bin "$home/bin"
ln -s /usr/share/tomcat10/lib "$home/lib"
cp -rL "$root/etc/tomcat10" "$home/conf"
mkdir -p "$home/webapps" "$home/logs" "$home/temp" "$home/work"
version=$(chroot "$root" dpkg-query -W -f='${Version}' tomcat10)
echo "importing as $image (tomcat10 $version)"
tar -C "$root" -c . | docker import \
    --change 'ENV CATALINA_HOME=/usr/local/tomcat' \
    --change 'ENV PATH=/usr/local/tomcat/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'WORKDIR /usr/local/tomcat' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["catalina.sh", "run"]' \
    --change "ENV TOMCAT_MAJOR=10" \
    --change "ENV TOMCAT_VERSION=${version%%-*}" \
    --change "LABEL org.labconform.built-from=debian-bookworm org.labconform.tomcat10=$version org.labconform.recipe=$recipe" \
    - "$image"
