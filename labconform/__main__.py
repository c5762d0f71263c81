"""`python -m labconform change ...`: the commands of labconform that are not pytest runs."""

from __future__ import annotations

import sys

USAGE = """usage: python -m labconform change --run CMD [--repair | --rollback CMD] [options]
       python -m labconform history [--reports-dir DIR]
       python -m labconform faults --destructive [--only NAME,...]
       python -m labconform schedule start|stop|status [--every 15m] [--target T] [--waivers F]
       python -m labconform capture [--target T] [--only packages,services,...] [--out FILE]
  change   check the lab, run one change on it, check again and decide, under the lab's lease (docs/change.md)
  history  each claim's verdicts across the runs kept, drift and flaky claims (docs/history.md)
  faults   make each fault of faults/catalog.yaml on the lab, judge and undo it: claims proven able to fail
  schedule the passive claims on a schedule (a systemd timer, or labconform's supervisor), kept in the history
  capture  a feature file of claims from what the lab holds now, for an admin to review (docs/vocabulary.md)
"""


def history_main(argv: list[str]) -> int:
    from pathlib import Path

    from labconform.option_values import Parser
    from labconform.results import history

    ap = Parser(prog="python -m labconform history")
    ap.add_argument("--reports-dir", default="reports", help="where the runs and changes/ are (reports)")
    args = ap.parse_args(argv)
    reports = Path(args.reports_dir)
    if not reports.is_dir():
        print(f"python -m labconform history: no such folder {reports}", file=sys.stderr)
        return 4
    out, data = history.write(reports)
    for lab, h in data["labs"].items():
        print(f"{lab}: {len(h['runs'])} runs; drift: {', '.join(h['drifting']) or 'none'}; "
              f"flaky: {', '.join(h['flaky']) or 'none'}")
    print(f"history: {out} and {out.with_suffix('.html')}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 4
    if argv[0] == "change":
        from labconform.commands import change  # the command's own imports, paid only by it

        return change.main(argv[1:])
    if argv[0] == "history":
        return history_main(argv[1:])
    if argv[0] == "faults":
        from labconform.commands import faults

        return faults.main(argv[1:])
    if argv[0] == "capture":
        from labconform.commands import capture

        return capture.main(argv[1:])
    if argv[0] == "schedule":
        from labconform.commands import schedule

        return schedule.main(argv[1:])
    print(f"python -m labconform: unknown command {argv[0]!r}\n{USAGE}", end="", file=sys.stderr)
    return 4


def console() -> int:
    """`labconform change|history|faults|schedule ...`: the console script pip installs (pyproject.toml)."""
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(console())
