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

import yaml

from labconform import proof, suite
from labconform.collection import id_files
from labconform.errors import UsageError
from labconform.lease import LeaseHeld, LeaseKeeper
from labconform.poll import until
from labconform.redact import redact_text
from labconform.repair import base_id
from labconform.ssh import SshOptions
from labconform.target import Target, parse_target

CATALOG = suite.REPO / "faults" / "catalog.yaml"
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


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def load(path: Path = CATALOG, features: Path = suite.REPO / "features") -> Catalog:
    """The catalog, every field checked: claim ids that exist, feature files that exist, argv lists."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read the fault catalog: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("faults"), list):
        raise UsageError(f"{path}: expected a mapping with a list under 'faults'")
    ids = id_files(features)  # claim id -> its feature file
    out, names = Catalog([], {}), set()
    for i, entry in enumerate(doc["faults"]):
        where = f"{path}: fault {i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise UsageError(f"{where}: needs a name")
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
        absent = [f for f in files if not (suite.REPO / f).is_file()]
        if absent:
            raise UsageError(f"{where}: no such feature file {', '.join(absent)}")
        out.faults.append(Fault(entry["name"], claims, _strings(f"{where}: break", entry.get("break")),
                                _strings(f"{where}: restore", entry.get("restore")), files, also))
    for cid, why in (doc.get("unprovable") or {}).items():
        if cid not in ids or not isinstance(why, str) or not why:
            raise UsageError(f"{path}: unprovable {cid!r}: an existing claim id and a reason")
        out.unprovable[cid] = why
    return out


def judge(fault: Fault, before: dict[str, str], during: dict[str, str]) -> tuple[bool, list[str]]:
    """Proved when each of the fault's claims failed (every row of an Outline checked, at least one failed,
    none an error) and every other claim of its files kept its verdict (`also` may move)."""
    why = []
    for cid in fault.claims:
        rows = {k: v for k, v in during.items() if base_id(k) == cid}
        if not rows:
            why.append(f"{cid}: not run")
        elif "failed" not in rows.values() or "error" in rows.values():
            why.append(f"{cid}: {', '.join(sorted(set(rows.values())))}, not failed")
    for cid, was in before.items():
        if base_id(cid) in (*fault.claims, *fault.also) or cid not in during:
            continue
        if during[cid] != was:
            why.append(f"{cid} changed too: {was} -> {during[cid]}")
    return not why, why


def say(text: str) -> None:
    print(redact_text(f"faults: {text}"), flush=True)


class Prover:
    """Makes each fault on the lab under the lease, judges it, undoes it."""

    def __init__(self, args: argparse.Namespace, lease: LeaseKeeper, run: str) -> None:
        self.args, self.lease, self.run = args, lease, run
        self.reports = Path(args.reports_dir)
        self.env = {**os.environ, **lease.lend()}
        self.reach = ["--target", args.target]
        for opt, val in (("--lab-params", args.lab_params), ("--ssh-identity", args.ssh_identity),
                         ("--known-hosts", args.known_hosts)):
            if val:
                self.reach += [opt, str(Path(val).resolve())]

    def check(self, name: str, files: list[str], ids: tuple[str, ...] = ()) -> suite.SuiteRun:
        extra = ["-m", "not destructive and (" + " or ".join(f'id(value="{i}")' for i in ids) + ")"] if ids else []
        argv = suite.argv(files, f"{self.run}-{name}", self.reports, self.reach, extra)
        if ids:  # the marker expression replaces suite.argv's own "not destructive"
            del argv[argv.index("not destructive") - 1:argv.index("not destructive") + 1]
        return suite.run(argv, f"{self.run}-{name}", self.reports, f"  {name} | ", f"the {name} check", self.env)

    def on_lab(self, argv: tuple[str, ...]) -> tuple[int, str]:
        res = self.lease.target.run(" ".join(["%s"] * len(argv)), *argv, timeout=COMMAND_TIMEOUT_S)
        return res.rc, (res.stdout + res.stderr).strip()[-400:]

    def prove(self, i: int, fault: Fault, before: dict[str, str]) -> dict[str, Any]:
        rec: dict[str, Any] = {"name": fault.name, "claims": list(fault.claims), "also": list(fault.also),
                               "break": list(fault.breaks), "restore": list(fault.restore),
                               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        say(f"{fault.name}: breaking the lab ({shlex.join(fault.breaks)})")
        try:
            rc, out = self.on_lab(fault.breaks)
            rec["broke"] = {"exit_status": rc, "output": out}
            if rc != 0:
                rec.update(proved=False, why=[f"the break command exited {rc}: {out}"])
            else:
                during = self.check(f"f{i}", list(fault.files))
                rec["run"] = during.folder.name
                rec["verdicts"] = {k: v for k, v in during.verdicts.items() if base_id(k) in fault.claims}
                rec["proved"], rec["why"] = judge(fault, before, during.verdicts) if not during.error else \
                    (False, [during.error])
        finally:
            say(f"{fault.name}: restoring the lab ({shlex.join(fault.restore)})")
            rc, out = self.on_lab(fault.restore)
            rec["restored"] = {"exit_status": rc, "output": out}
            rec["restored"]["claims_pass"] = rc == 0 and self.passing_again(i, fault, before)
        say(f"{fault.name}: {'proved' if rec['proved'] else 'NOT proved: ' + '; '.join(rec['why'])}; "
            f"{'restored' if rec['restored']['claims_pass'] else 'NOT restored'}")
        return rec

    def passing_again(self, i: int, fault: Fault, before: dict[str, str]) -> bool:
        """The fault's claims back to their verdicts before it, polled (pods take a while to answer again)."""
        want = {k: v for k, v in before.items() if base_id(k) in fault.claims}
        try:
            until(lambda: self.check(f"f{i}-restored", list(fault.files), fault.claims).verdicts,
                  lambda got: all(got.get(k) == v for k, v in want.items()), timeout=RESTORE_WAIT_S, interval=5,
                  what=f"the claims of {fault.name!r} passing again")
        except Exception:  # noqa: BLE001 - WaitTimeout: said by the caller, the run stops
            return False
        return True


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m labconform faults",
                                 description="Make each fault of the catalog on the lab, judge it, undo it.")
    ap.add_argument("--destructive", action="store_true", help="required: the faults break the lab, one at a time")
    ap.add_argument("--only", help="comma-separated fault names (default: all)")
    ap.add_argument("--catalog", default=str(CATALOG), help="the fault catalog (faults/catalog.yaml)")
    ap.add_argument("--target", default="local")
    ap.add_argument("--lab-params")
    ap.add_argument("--ssh-identity")
    ap.add_argument("--known-hosts")
    ap.add_argument("--lease-wait", type=float, default=0)
    ap.add_argument("--reports-dir", default="reports")
    args = ap.parse_args(argv)
    return args


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        parse_target(args.target)
        catalog = load(Path(args.catalog))
        if args.only:
            wanted = {n.strip() for n in args.only.split(",") if n.strip()}
            unknown = wanted - {f.name for f in catalog.faults}
            if unknown:
                raise UsageError(f"--only: no such fault {', '.join(sorted(unknown))}")
            catalog.faults = [f for f in catalog.faults if f.name in wanted]
        if not args.destructive:
            raise UsageError("the faults break the lab: say --destructive (they take the lab's lease)")
    except UsageError as exc:
        print(redact_text(f"python -m labconform faults: {exc}"), file=sys.stderr)
        return USAGE
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    run = time.strftime("faults-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{uuid.uuid4().hex[:4]}"
    target = Target(args.target, ssh=SshOptions(identity=args.ssh_identity, known_hosts=args.known_hosts))
    lease = LeaseKeeper(target, run, "python -m labconform faults")
    record: dict[str, Any] = {"run": run, "who": f"{getpass.getuser()}@{socket.gethostname()}",
                              "target": args.target, "faults": []}
    status = PROVED
    try:
        lease.acquire(wait_s=args.lease_wait)
        p = Prover(args, lease, run)
        files = sorted({f for fault in catalog.faults for f in fault.files})
        say(f"the lab before any fault: {', '.join(files)}")
        before = p.check("before", files)
        record["before"] = before.folder.name
        for i, fault in enumerate(catalog.faults):
            rec = p.prove(i, fault, before.verdicts)
            record["faults"].append(rec)
            if not rec["restored"]["claims_pass"]:
                status = LEFT_BROKEN
                say(f"the lab is left broken by {fault.name!r}: no further fault is made; restore it by hand or "
                    f"with python -m provision --claims {','.join(fault.claims)}")
                break
            if not rec["proved"]:
                status = NOT_PROVED
    except LeaseHeld as exc:
        say(str(exc))
        return LEASED
    except KeyboardInterrupt:
        say("interrupted: the fault being made was undone (its restore ran)")
        status = LEFT_BROKEN
    finally:
        lease.release()
        target.close()
    folder = proof.write(record, catalog, Path(args.reports_dir))
    say(f"proof: {folder / 'index.html'} ({sum(bool(f.get('proved')) for f in record['faults'])} of "
        f"{len(record['faults'])} faults proved)")
    return status
