"""`python -m labconform change ...`: the commands of labconform that are not pytest runs."""

from __future__ import annotations

import sys

USAGE = """usage: python -m labconform change --run CMD [--repair | --rollback CMD] [options]
  change   check the lab, run one change on it, check again and decide, under the lab's lease (docs/change.md)
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if argv else 4
    if argv[0] == "change":
        from labconform import change  # the command's own imports, paid only by it

        return change.main(argv[1:])
    print(f"python -m labconform: unknown command {argv[0]!r}\n{USAGE}", end="", file=sys.stderr)
    return 4


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
