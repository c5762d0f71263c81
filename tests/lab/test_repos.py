"""The package repositories the document adds (docker-08, k8s-inst-06) and its SELinux settings (docker-09,
k8s-prep-08): the parsing and judging on real-shaped files, the RHEL provisioning steps planned from recorded
facts, and docker-08 run for real on this machine with an apt source written for the test and removed."""

from __future__ import annotations

import os

import pytest

from labconform.host import selinux
from labconform.transport.target import Target

# --- RHEL family --------------------------------------------------------------------------------------


# --- Debian family ------------------------------------------------------------------------------------


# --- SELinux: what its tools print ------------------------------------------------------------------


def test_without_selinux_in_the_kernel_both_claims_are_not_applicable_as_observed():
    if os.path.isdir(selinux.SELINUXFS):
        pytest.skip("this kernel has SELinux")
    t = Target("local")
    for j in (selinux.judged_boolean(t, "container_manage_cgroup"), selinux.judged_retained(t)):
        assert j.not_applicable == "no SELinux in this kernel (/sys/fs/selinux absent)"
        assert j.details == {"command": "test -d /sys/fs/selinux", "exit_status": 1}


# --- the RHEL provisioning steps, planned from the recorded Rocky 8.4 host ------------------------------


# --- docker-08 for real on this machine: an apt source for download.docker.com, then none -------------


