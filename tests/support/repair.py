"""What the faults, lab, plugin, unit tests of test_repair.py share."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


# --- the ids, checked before anything runs ---------------------------------------------------------


# --- which steps a repair walks (recorded Rocky 8.4 host) ------------------------------------------


# --- the check afterwards ----------------------------------------------------------------------------


def check_args(**given: object) -> argparse.Namespace:
    """The options of python -m provision that the check afterwards reads."""
    args = {"reports_dir": "reports/repairs", "target": "local", "ssh_identity": None, "known_hosts": None,
            "lab_params": None, "waivers": None, "accept_host_key": False}
    return argparse.Namespace(**{**args, **given})


# --- the report's repair line ------------------------------------------------------------------------


def claim_articles(page: str) -> dict[str, str]:
    """Each claim's <article> of a report, by claim id."""
    return dict(re.findall(r'<article class="claim [^"]*" id="claim-([^"]+)"(.*?)</article>', page, re.S))


# --- a real repair on this machine -------------------------------------------------------------------


def repair(tmp_path: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / f"repair-{len(list(tmp_path.glob('repair-*.json')))}.json"
    p = subprocess.run([sys.executable, "-m", "provision", "--lease-wait", "900", "--json", str(out),
                        "--reports-dir", str(tmp_path / "repairs"), *args],
                       cwd=REPO, capture_output=True, text=True, timeout=1800)
    return p.returncode, json.loads(out.read_text()) if out.exists() else {}, p.stdout + p.stderr


