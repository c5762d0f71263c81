#!/bin/sh
# k8s-kubelet.sh: kubelet as kubeadm configures it, for labconform's supervisor where systemd cannot run
# kubelet's unit. Until kubeadm has written its configuration it exits, and the supervisor tries again.
conf=/var/lib/kubelet/config.yaml
if [ ! -s "$conf" ]; then sleep 1; exit 3; fi
KUBELET_KUBEADM_ARGS=
[ -f /var/lib/kubelet/kubeadm-flags.env ] && . /var/lib/kubelet/kubeadm-flags.env
# shellcheck disable=SC2086 # kubeadm's flags are one word each
exec /usr/local/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
    --kubeconfig=/etc/kubernetes/kubelet.conf --config="$conf" $KUBELET_KUBEADM_ARGS
