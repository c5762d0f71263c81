"""A package update pending for real: lc-fault-pkg 1 installed, and version 2 offered by a local apt
repository that apt has read (only its own lists are fetched; the host's other lists are left as they are).
`pending_update.py break` makes it, `pending_update.py restore` undoes it (both may be run again)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path("/var/tmp/lc-fault-repo")
SOURCE = Path("/etc/apt/sources.list.d/lc-fault.list")
LISTS = Path("/var/lib/apt/lists")
PACKAGE = "lc-fault-pkg"
FIELDS = ("Architecture: all\nMaintainer: labconform <root@localhost>\n"
          "Description: an update pending (a labconform fault)\n")
ONLY_OURS = ["-o", f"Dir::Etc::sourcelist={SOURCE}", "-o", "Dir::Etc::sourceparts=-", "-o", "APT::Get::List-Cleanup=0"]


def deb(version: str) -> Path:
    build = REPO / f"build-{version}" / "DEBIAN"
    build.mkdir(parents=True, exist_ok=True)
    (build / "control").write_text(f"Package: {PACKAGE}\nVersion: {version}\n{FIELDS}")
    out = REPO / f"{PACKAGE}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "-b", str(build.parent), str(out)], check=True, capture_output=True)
    return out


def make() -> None:
    REPO.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg", "-i", str(deb("1"))], check=True, capture_output=True)
    newer = deb("2").read_bytes()
    (REPO / "Packages").write_text(f"Package: {PACKAGE}\nVersion: 2\n{FIELDS}Filename: ./{PACKAGE}_2_all.deb\n"
                                   f"Size: {len(newer)}\nSHA256: {hashlib.sha256(newer).hexdigest()}\n\n")
    SOURCE.write_text(f"deb [trusted=yes] file:{REPO} ./\n")
    subprocess.run(["apt-get", "update", "-q", *ONLY_OURS], check=True, capture_output=True)


def undo() -> None:
    subprocess.run(["dpkg", "-P", PACKAGE], capture_output=True)  # absent already: nothing to purge
    SOURCE.unlink(missing_ok=True)
    for f in LISTS.glob("_var_tmp_lc-fault-repo_*"):
        f.unlink()
    shutil.rmtree(REPO, ignore_errors=True)


if __name__ == "__main__":
    {"break": make, "restore": undo}[sys.argv[1]]()
