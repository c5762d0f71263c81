"""Proof that claims can fail: the fault catalog (faults/catalog.yaml) loaded and checked, each fault made
for real on the lab under its lease, judged against a run before it, undone, and the proof written
(docs/faults.md)."""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import signal
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labconform import input_files
from labconform.commands import fault_proof, suite_process
from labconform.commands.console import printer
from labconform.commands.streamed import stop_like_ctrl_c
from labconform.errors import UsageError, WaitTimeout
from labconform.lease import LeaseHeld, LeaseKeeper, LeaseLost
from labconform.option_values import Parser, seconds
from labconform.outputs.repair import base_id
from labconform.poll import until
from labconform.redact import redact_text
from labconform.run.collection import id_files
from labconform.transport import reach
from labconform.transport.host_spec import parse_target
from labconform.transport.target import Target

CATALOG = suite_process.REPO / "faults" / "catalog.yaml"
# the lab a catalog's faults are made on: this machine, or a lab node reached over SSH (its systemd faults)
LABS = {"local": "local://", "node": "ssh://"}
COMMAND_TIMEOUT_S = 180
RESTORE_WAIT_S = 180  # after undoing a fault, how long its claims may take to pass again (pods restart)
PROVED, NOT_PROVED, LEFT_BROKEN, USAGE, LEASED = 0, 1, 2, 4, 5


@dataclass(frozen=True)
class Fault:
    name: str
    claims: tuple[str, ...]
    breaks: tuple[str, ...]
    restore: tuple[str, ...]
    files: tuple[str, ...]
    also: tuple[str, ...] = ()


@dataclass
class Catalog:
    faults: list[Fault]
    unprovable: dict[str, str] = field(default_factory=dict)
    lab: str = "local"


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def load(path: Path = CATALOG, features: Path = suite_process.REPO / "features") -> Catalog:
    """The catalog, every field checked: claim ids that exist, feature files that exist, argv lists."""
    doc, _ = input_files.read_yaml(path, "--catalog")
    if not isinstance(doc, dict) or not isinstance(doc.get("faults"), list):
        raise UsageError(f"{path}: expected a mapping with a list under 'faults'")
    ids = id_files(features)  # claim id -> its feature file
    lab = doc.get("lab", "local")
    if lab not in LABS:
        raise UsageError(f"{path}: lab: one of {', '.join(LABS)}, not {lab!r}")
    out, names = Catalog([], {}, lab), set()
    for i, entry in enumerate(doc["faults"]):
        where = f"{path}: fault {i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise UsageError(f"{where}: needs a name")
        if "," in entry["name"]:
            raise UsageError(f"{where}: a name without commas (--only takes a comma-separated list)")
        where = f"{path}: fault {entry['name']!r}"
        unknown = set(entry) - {"name", "claims", "break", "restore", "files", "also"}
        if unknown or entry["name"] in names:
            raise UsageError(f"{where}: {'unknown fields ' + ', '.join(sorted(unknown)) if unknown else 'named twice'}")
        names.add(entry["name"])
        claims = _strings(f"{where}: claims", entry.get("claims"))
        also = _strings(f"{where}: also", entry["also"]) if "also" in entry else ()
        missing = [c for c in (*claims, *also) if c not in ids]
        if missing:
            raise UsageError(f"{where}: no such claim {', '.join(missing)}")
        files = _strings(f"{where}: files", entry["files"]) if "files" in entry else \
            tuple(sorted({f"features/{ids[c]}" for c in claims}))
        absent = [f for f in files if not (suite_process.REPO / f).is_file()]
        if absent:
            raise UsageError(f"{where}: no such feature file {', '.join(absent)}")
        elsewhere = [c for c in (*claims, *also) if f"features/{ids[c]}" not in files]
        if elsewhere:
            raise UsageError(f"{where}: {', '.join(elsewhere)} not in its files {', '.join(files)}")
        out.faults.append(Fault(entry["name"], claims, _strings(f"{where}: break", entry.get("break")),
                                _strings(f"{where}: restore", entry.get("restore")), files, also))
    unprovable = doc.get("unprovable") or {}
    if not isinstance(unprovable, dict):
        raise UsageError(f"{path}: unprovable: expected a mapping of claim id: reason")
    faulted = {c for f in out.faults for c in f.claims}
    for cid, why in unprovable.items():
        if cid not in ids or not isinstance(why, str) or not why or cid in faulted:
            raise UsageError(f"{path}: unprovable {cid!r}: an existing claim id no fault names, and a reason")
        out.unprovable[cid] = why
    if not out.faults:
        raise UsageError(f"{path}: no fault")
    return out


def judge(fault: Fault, before: dict[str, str], during: dict[str, str], in_files: set[str]) -> tuple[bool, list[str]]:
    """Proved when each of the fault's claims passed before it and failed with it (every row of an Outline run,
    at least one failed, none an error), and every other claim of its files (`in_files`: their base ids) ran
    and kept its verdict (`also` may move). An Outline's row that was not applicable before (with the reason
    the lab gave) may stay so, as long as another row passed before: it must not move."""
    why = []
    for cid in fault.claims:
        was = {k: v for k, v in before.items() if base_id(k) == cid}
        rows = {k: v for k, v in during.items() if base_id(k) == cid}
        moot = {k for k, v in was.items() if v == "not_applicable"}
        if not was or set(was.values()) - {"not_applicable"} != {"passed"}:
            why.append(f"{cid}: {', '.join(sorted(set(was.values()))) or 'not run'} before the fault, not passed")
        elif set(rows) != set(was):
            why.append(f"{cid}: rows run {sorted(rows)}, before {sorted(was)}")
        elif "failed" not in rows.values() or "error" in rows.values():
            why.append(f"{cid}: {', '.join(sorted(set(rows.values())))}, not failed")
        elif any(rows[k] != "not_applicable" for k in moot):
            moved = sorted(k for k in moot if rows[k] != "not_applicable")
            why.append(f"{cid}: rows not applicable before moved: {moved}")
    for cid, was in before.items():
        if base_id(cid) not in in_files or base_id(cid) in (*fault.claims, *fault.also):
            continue
        if during.get(cid, "not run") != was:
            why.append(f"{cid} changed too: {was} -> {during.get(cid, 'not run')}")
    return not why, why


say = printer("faults: ")


class Prover:
    """Makes each fault on the lab under the lease, judges it, undoes it. Its suite runs go under
    reports/faults/<run>/runs/: they are checks of a lab broken on purpose, not the lab's history."""

    def __init__(self, args: argparse.Namespace, lease: LeaseKeeper, run: str) -> None:
        self.args, self.lease, self.run = args, lease, run
        self.runs = Path(args.reports_dir) / "faults" / run / "runs"
        self.env = {**os.environ, **lease.lend()}
        self.reach = reach.LabReach.of(args).argv()
        self.current: dict[str, Any] | None = None  # the fault being made, for a run cut short

    def check(self, name: str, files: list[str]) -> suite_process.SuiteRun:
        argv = suite_process.argv(files, name, self.runs, self.reach, [])
        return suite_process.run(argv, name, self.runs, f"  {name} | ", f"the {name} check", self.env)

    def on_lab(self, argv: tuple[str, ...]) -> tuple[int, str]:
        res = self.lease.target.run(" ".join(["%s"] * len(argv)), *argv, timeout=COMMAND_TIMEOUT_S)
        return res.rc, (res.stdout + res.stderr).strip()[-400:]

    def prove(self, i: int, fault: Fault, before: dict[str, str]) -> dict[str, Any]:
        rec: dict[str, Any] = {"name": fault.name, "claims": list(fault.claims), "also": list(fault.also),
                               "break": list(fault.breaks), "restore": list(fault.restore),
                               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "proved": False,
                               "why": [], "restored": {"claims_pass": False}}
        self.current = rec
        in_files = {base_id(c) for f in fault.files for c, name in id_files(suite_process.REPO / "features").items()
                    if f"features/{name}" == f}
        mine = {k: v for k, v in before.items() if base_id(k) in in_files}
        if self.lease.lost:
            raise LeaseLost(self.lease.lost)
        say(f"{fault.name}: breaking the lab ({shlex.join(fault.breaks)})")
        try:
            rc, out = self.on_lab(fault.breaks)
            rec["broke"] = {"exit_status": rc, "output": out}
            if rc != 0:
                rec["why"] = [f"the break command exited {rc}: {out}"]
            else:
                during = self.check(f"f{i}", list(fault.files))
                rec["run"] = during.folder.name
                rec["verdicts"] = {k: v for k, v in during.verdicts.items() if base_id(k) in fault.claims}
                rec["proved"], rec["why"] = judge(fault, before, during.verdicts, in_files) if not during.error \
                    else (False, [during.error])
        finally:
            self.undo(i, fault, rec, mine)
        say(f"{fault.name}: {'proved' if rec['proved'] else 'NOT proved: ' + '; '.join(rec['why'])}; "
            f"{'restored' if rec['restored']['claims_pass'] else 'NOT restored'}")
        return rec

    def undo(self, i: int, fault: Fault, rec: dict[str, Any], mine: dict[str, str]) -> None:
        """The restore command, not to be cut short by a second Ctrl-C or a SIGTERM; then the fault's files
        again until every claim of them has its verdict from before (the exit status is evidence only: a
        restore of a break that did not happen may well fail)."""
        say(f"{fault.name}: restoring the lab ({shlex.join(fault.restore)})")
        held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            rc, out = self.on_lab(fault.restore)
        finally:
            for sig, handler in held.items():
                signal.signal(sig, handler)
        rec["restored"] = {"exit_status": rc, "output": out, "claims_pass": False}
        try:
            until(lambda: self.check(f"f{i}-restored", list(fault.files)).verdicts, lambda got: bool(mine) and all(
                got.get(k) == v for k, v in mine.items()), timeout=RESTORE_WAIT_S, interval=5,
                what=f"the claims of {fault.name!r} back as before")
        except WaitTimeout as exc:
            rec["restored"]["why"] = str(exc)[:500]
            return
        rec["restored"]["claims_pass"] = True


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = Parser(prog="python -m labconform faults",
                                 description="Make each fault of the catalog on the lab, judge it, undo it.")
    ap.add_argument("--destructive", action="store_true", help="required: the faults break the lab, one at a time")
    ap.add_argument("--only", help="comma-separated fault names (default: all)")
    ap.add_argument("--catalog", type=reach.path_value, default=str(CATALOG),
                    help="the fault catalog (faults/catalog.yaml)")
    reach.add_arguments(ap)  # the lab the catalog's faults are for: local, or ssh://... for a node's catalog
    ap.add_argument("--lease-wait", type=seconds, default=0)
    ap.add_argument("--reports-dir", type=reach.path_value, default="reports")
    args = ap.parse_args(argv)
    return args


def selected(args: argparse.Namespace) -> Catalog:
    """The catalog's faults --only keeps, for a target of the catalog's kind; a UsageError says what is wrong."""
    catalog = load(Path(args.catalog))
    if not parse_target(args.target).startswith(LABS[catalog.lab]):
        raise UsageError(f"{args.catalog} holds the faults of lab: {catalog.lab}, made on a {LABS[catalog.lab]} "
                         f"target, not {args.target} (docs/faults.md)")
    if catalog.lab == "local" and os.geteuid() != 0:
        raise UsageError("the faults change the host: run as root")
    if args.only:
        wanted = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = wanted - {f.name for f in catalog.faults}
        if unknown:
            raise UsageError(f"--only: no such fault {', '.join(sorted(unknown))}")
        catalog.faults = [f for f in catalog.faults if f.name in wanted]
    if not args.destructive:
        raise UsageError("the faults break the lab: say --destructive (they take the lab's lease)")
    return catalog


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        catalog = selected(args)
    except UsageError as exc:
        print(redact_text(f"python -m labconform faults: {exc}"), file=sys.stderr)
        return USAGE
    stop_like_ctrl_c()
    run = time.strftime("faults-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:4]}"
    target = Target(args.target, ssh=reach.LabReach.of(args).ssh())
    lease = LeaseKeeper(target, run, "python -m labconform faults")
    record: dict[str, Any] = {"run": run, "who": f"{getpass.getuser()}@{socket.gethostname()}",
                              "target": args.target, "faults": [], "before": {}}
    status, prover = PROVED, None
    try:
        lease.acquire(wait_s=args.lease_wait)
        prover = Prover(args, lease, run)
        files = sorted({f for fault in catalog.faults for f in fault.files})
        say(f"the lab before any fault: {', '.join(files)}")
        before = prover.check("before", files)
        if before.error or before.ran.rc not in (0, 1):
            raise RuntimeError(f"the check before any fault: {before.error or f'pytest exited {before.ran.rc}'}")
        record["before"] = before.verdicts
        for i, fault in enumerate(catalog.faults):
            rec = prover.prove(i, fault, before.verdicts)
            record["faults"].append(rec)
            prover.current = None
            if not rec["restored"]["claims_pass"]:
                status = LEFT_BROKEN
                say(f"the lab is left broken by {fault.name!r}: no further fault is made; repair it with "
                    f"python -m provision --claims {','.join(fault.claims)} (or by hand: {shlex.join(fault.restore)})")
                break
            if not rec["proved"]:
                status = NOT_PROVED
    except LeaseHeld as exc:
        say(str(exc))
        return LEASED
    except (KeyboardInterrupt, Exception) as exc:  # noqa: BLE001 - said, recorded, never a traceback
        cut = prover.current if prover is not None else None
        if cut is not None:
            record["faults"].append(cut)
        broken = cut is not None and not cut["restored"]["claims_pass"]
        status = LEFT_BROKEN if broken else NOT_PROVED
        what = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        say(f"stopped ({what}); " + (f"the lab may be left broken by {cut['name']!r}: its restore was "
                                     f"{'run' if 'exit_status' in cut['restored'] else 'not run'}" if broken
                                     else "no fault was left made"))
        record["stopped"] = what
    finally:
        lease.release()
        target.close()
    folder = fault_proof.write(record, catalog, Path(args.reports_dir))
    say(f"proof: {folder / 'index.html'} ({sum(bool(f.get('proved')) for f in record['faults'])} of "
        f"{len(record['faults'])} faults proved)")
    return status
