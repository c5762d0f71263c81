"""The lab node's image: Debian 12 with systemd and openssh-server by debootstrap, imported into Docker, made
again only when build-node-image.sh (its recipe) changes."""

from __future__ import annotations

from provision.core import DEBIAN_MIRROR, LIBEXEC, Step, image_labels
from provision.core import recipe as recipe_of
from provision.plan import Context
from provision.progress import run_script

BUILDER_SCRIPT = "build-node-image.sh"
BUILDER = f"{LIBEXEC}/{BUILDER_SCRIPT}"
IMAGE = "labconform/node:bookworm"


def recipe() -> str:
    return recipe_of(BUILDER_SCRIPT)


def image_step(ctx: Context) -> Step:
    """The node image built by the current recipe."""

    def image_check() -> tuple[bool, str]:
        ok = image_labels(ctx.state.image(IMAGE)).get("org.labconform.recipe") == recipe()
        return ok, f"{IMAGE} built by the current recipe" if ok else f"{IMAGE} absent or built by another recipe"

    def image_apply() -> None:
        ctx.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 debootstrap",
               timeout=600)
        note = "debootstrap of Debian 12 with systemd and openssh-server, then docker import (about 2 minutes)"
        run_script(ctx, BUILDER_SCRIPT, f"{IMAGE} {DEBIAN_MIRROR} {recipe()}", "/var/log/labconform/node-image.log",
                   "node image build", timeout=1200, note=note)

    return Step("lab node image", (), image_check, image_apply,
                (f"debootstrap bookworm (systemd, openssh-server, ...); docker import {IMAGE}",))
