"""What the report shows under a claim that did not hold: the command line that repairs it by claim
(`python -m provision --claims ID`), with the options that reached the run's lab."""

from __future__ import annotations

import html
import shlex
from typing import Any

from labconform.redact import redact_text
from labconform.transport import reach

# the verdicts of a claim that provisioning could make true again; a waived claim is a deviation the
# lab declared and accepted, not one to repair
REPAIRABLE = ("failed", "error")
# the run's options that say how the lab was reached and what it is, as provisioning takes them (--target
# aside: the claim's own), and the waivers its check of the claims reads
_REACH = [o for o in reach.WITHOUT_KUBECONFIG if o.kind != "target"]
VALUED = (*(o.flag for o in _REACH if o.kind == "file"), "--waivers")
FLAGS = tuple(o.flag for o in _REACH if o.kind == "flag")


def base_id(claim_id: str) -> str:
    """"multi-02[mytc1]@lab1" -> "multi-02": the @id tag an Outline row or a lab's claim came from."""
    return claim_id.split("@", 1)[0].split("[", 1)[0]


def reach_options(command: list[str]) -> list[str]:
    """The options of the run's command line (as typed: `--opt value` or `--opt=value`) that provisioning
    needs to reach and describe the same lab; --target is the claim's own, not taken from here."""
    found: list[str] = []
    words = list(command)
    for n, word in enumerate(words):
        name, eq, val = word.partition("=")
        if name in VALUED:
            if eq:
                found += [name, val]
            elif n + 1 < len(words):
                found += [name, words[n + 1]]
        elif word in FLAGS:
            found.append(word)
    return found


def command_line(claim: dict[str, Any], run: dict[str, Any]) -> str:
    """`python -m provision --claims <id> --target <the claim's lab> ...`, quoted for a shell, redacted."""
    target = claim.get("target") or (run.get("target") or {}).get("spec") or "local"
    argv = ["--claims", base_id(claim["id"]), "--target", target, *reach_options(run.get("command") or [])]
    return redact_text("python -m provision " + shlex.join(argv))


def row(claim: dict[str, Any], run: dict[str, Any]) -> str:
    """The report's "repair" row of a claim (HTML), under "made true by"; empty when the claim held or
    no provisioning step owns it. When the run could not say which step owns it (no host facts were
    read, several labs), the line is shown with that said: provisioning names the owner, or says none does."""
    if claim.get("verdict") not in REPAIRABLE:
        return ""
    if claim.get("owner"):
        step = html.escape(str(claim["owner"].get("step", "")))
        note = f"runs <b>{step}</b> and the earlier steps of its part whose check fails, then checks the claim again"
    elif run.get("owners_note"):
        note = (f"the step that owns it is not known in this run ({html.escape(redact_text(run['owners_note']))}); "
                "provisioning names it, or says that none does, then checks the claim again")
    else:
        return ""
    return (f"<tr><th>repair</th><td><code class='repair'>{html.escape(command_line(claim, run))}</code><br>"
            f"<span class='none'>{note}</span></td></tr>")
