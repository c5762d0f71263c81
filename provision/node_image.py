"""The lab node's image: Debian 12 with systemd and openssh-server by debootstrap, imported into Docker, made
again only when build-node-image.sh (its recipe) changes."""

from __future__ import annotations

from pathlib import Path

from provision import Context
from provision.core import Step
from provision.progress import run_watched

FILES = Path(__file__).parent / "files"
BUILDER = "/usr/local/libexec/labconform/build-node-image.sh"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
IMAGE = "labconform/node:bookworm"


def recipe() -> str:
    import hashlib

    return hashlib.sha256((FILES / "build-node-image.sh").read_bytes()).hexdigest()[:16]


def image_step(ctx: Context) -> Step:
    """The node image built by the current recipe."""

    def image_check() -> tuple[bool, str]:
        img = ctx.state.image(IMAGE)
        have = ((img or {}).get("Config") or {}).get("Labels", {}) or {}
        ok = have.get("org.labconform.recipe") == recipe()
        return ok, f"{IMAGE} built by the current recipe" if ok else f"{IMAGE} absent or built by another recipe"

    def image_apply() -> None:
        ctx.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 debootstrap",
               timeout=600)
        ctx.put(BUILDER, (FILES / "build-node-image.sh").read_bytes(), 0o755)
        ctx.say("debootstrap of Debian 12 with systemd and openssh-server, then docker import (about 2 minutes)")
        run_watched(ctx, f"{BUILDER} {IMAGE} {DEBIAN_MIRROR} {recipe()}", "/var/log/labconform/node-image.log",
                    "node image build", timeout=1200)

    return Step("lab node image", (), image_check, image_apply,
                (f"debootstrap bookworm (systemd, openssh-server, ...); docker import {IMAGE}",))
