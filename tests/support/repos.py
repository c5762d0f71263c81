"""What the faults, lab, unit tests of test_repos.py share."""

from __future__ import annotations

# Docker's install instructions for Debian: one line in /etc/apt/sources.list.d/docker.list
DOCKER_LIST = ("deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian "
               "bookworm stable\n")


# --- RHEL family --------------------------------------------------------------------------------------


# --- Debian family ------------------------------------------------------------------------------------


# --- SELinux: what its tools print ------------------------------------------------------------------


# --- the RHEL provisioning steps, planned from the recorded Rocky 8.4 host ------------------------------


# --- docker-08 for real on this machine: an apt source for download.docker.com, then none -------------


