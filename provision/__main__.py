"""python -m provision [--target T] [--check] [--facts FILE]: make the lab's claims true, or show the plan."""

from __future__ import annotations

import argparse
import json
import sys
import time

from labconform.errors import LabUnreachable, UsageError
from labconform.params import load_params
from labconform.target import Target
from provision import Context, build_plan
from provision.state import LiveState, RecordedState


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m provision", description=__doc__)
    ap.add_argument("--target", default="local", help="local (default) or a host spec: ssh://user@host:port")
    ap.add_argument("--check", action="store_true", help="show the plan; change nothing")
    ap.add_argument("--facts", help="a recorded host state (JSON) to plan against; implies --check")
    ap.add_argument("--lab-params", help="YAML file of lab parameters")
    ap.add_argument("--json", help="also write the outcomes as JSON to this file")
    ap.add_argument("--only", help="comma-separated parts of the lab to provision: host, docker, kubernetes")
    args = ap.parse_args(argv)

    try:
        if args.facts:
            state = RecordedState.load(args.facts)
            target = None
            args.check = True
        else:
            target = Target(args.target)
            target.probe()
            state = LiveState(target)
        params = load_params(args.lab_params, state.facts.family)
    except UsageError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2
    except LabUnreachable as exc:
        print(f"provision: target unreachable: {exc}", file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError) as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 2

    facts = state.facts
    where = args.facts or args.target
    mode = "plan (--check: nothing is changed)" if args.check else "provisioning"
    print(f"{mode} for {where}: {facts.pretty_name or facts.os_id} ({facts.family}), init {facts.init or '?'}")
    ctx = Context(target, state, params)
    started = time.monotonic()
    plan = build_plan(ctx)
    if args.only:
        wanted = {w.strip() for w in args.only.split(",") if w.strip()}
        unknown = wanted - set(plan.sections)
        if unknown:
            print(
                f"provision: --only {args.only}: unknown part(s) {', '.join(sorted(unknown))}; "
                f"one of {', '.join(plan.sections)}",
                file=sys.stderr,
            )
            return 2
        plan = plan.only(wanted)
    outcomes = plan.run(check_only=args.check)
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(f"{summary} in {time.monotonic() - started:.1f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"target": where, "check": args.check, "steps": [o.as_dict() for o in outcomes]}, fh, indent=2)
    return 1 if counts.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
