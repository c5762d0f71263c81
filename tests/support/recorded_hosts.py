"""Recorded hosts' facts for the plans that need no live host."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


ROCKY = REPO / "tests" / "data" / "rocky-8.4.json"


def rocky_with_docker_ce() -> dict:
    """The recorded Rocky 8.4 host with the document's Docker CE packages in place of podman and buildah, and
    the repository they came from (docker-08)."""
    done = json.loads(ROCKY.read_text())
    done["packages"].update({"docker-ce": "20.10.8-3.el8", "docker-ce-cli": "20.10.8-3.el8", "containerd.io": "1.4.9"})
    for p in ("podman", "buildah"):
        done["packages"].pop(p)
    done["files"]["/etc/yum.repos.d/docker-ce.repo"] = (
        "[docker-ce-stable]\nname=Docker CE Stable - $basearch\n"
        "baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable\nenabled=1\ngpgcheck=1\n")
    return done
