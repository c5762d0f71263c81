"""Requests through a Service from the lab host, each on its own connection: who answered each, whether each
was a pod of the Deployment that is current, and whether the answers split evenly between the pods (an exact
two-sided binomial test)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from labconform.judged import Judged
from labconform.transport.target import Target

GREETING = re.compile(r"Hello, I am (\S+)")
_MARK = "@@labconform"


@dataclass
class Sample:
    """Requests sent through a Service, each on a new connection, and who answered them."""

    url: str
    sent: int
    answers: list[str] = field(default_factory=list)  # the pod name each answer gave
    failures: list[str] = field(default_factory=list)  # what a request got instead of an answer
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in self.answers:
            out[name] = out.get(name, 0) + 1
        return dict(sorted(out.items()))


def sample_service(target: Target, url: str, count: int, per_request_s: float = 3) -> Sample:
    """Send `count` GETs from the lab host, each on its own connection (a Service balances connections,
    not requests), in one curl process; bounded by `count * per_request_s` however the pods behave."""
    res = target.run(
        "curl -s -H 'Connection: close' -m %s -w %s %s",
        str(per_request_s), f"\\n{_MARK} %{{http_code}} %{{exitcode}} %{{time_total}}\\n", f"{url}?n=[1-{count}]",
        timeout=count * per_request_s + 10,
    )
    sample = Sample(url, count)
    body: list[str] = []
    for line in res.stdout.splitlines():
        if not line.startswith(_MARK):
            body.append(line)
            continue
        code, exitcode, seconds = line.split()[1:4]
        m = GREETING.search("\n".join(body))
        if code == "200" and m:
            sample.answers.append(m.group(1))
        else:
            sample.failures.append(f"request {len(sample.answers) + len(sample.failures) + 1}: HTTP {code}, "
                                   f"curl exit {exitcode} after {float(seconds):.1f} s: {' '.join(body)[:80]!r}")
        sample.seconds += float(seconds)
        body = []
    if len(sample.answers) + len(sample.failures) < count:  # the loop itself was cut short
        sample.failures.append(f"{count - len(sample.answers) - len(sample.failures)} request(s) never completed "
                               f"(exit {res.rc}: {res.stderr.strip()[-200:]})")
    return sample


@dataclass(frozen=True)
class NodePortTraffic:
    """What a When step sent through a Service's NodePort, for the Then steps of the same claim: the sample, the
    Deployment's ready pods just before and just after it, and how the wait for stale connections before it went."""

    sample: Sample
    pods_before: list[str]
    pods_after: list[str]
    settling: dict[str, Any]


def binomial_two_sided_p(k: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided binomial test: the probability, under share p, of a split at most as likely as k of n
    (the method of R's binom.test and scipy's binomtest)."""
    if n == 0:
        return 1.0
    probs = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    observed = probs[k] * (1 + 1e-7)
    return min(1.0, sum(q for q in probs if q <= observed))


def judge_split(traffic: NodePortTraffic, pods: int, alpha: float) -> Judged:
    """Both pods answered, the pods did not change while sampling, and an exact two-sided binomial test of
    equal shares does not reject at `alpha`; the answers per pod go with it, drawn as bars."""
    sample = traffic.sample
    counts = sample.counts()
    how = (f"exact two-sided binomial test of equal shares (H0: p = 1/{pods}) on {len(sample.answers)} answers "
           f"out of {sample.sent} requests; reject when p < {alpha:g}")
    expected = f"{pods} pods answering, p-value >= {alpha:g}"

    def judged(ok: bool, found: Any) -> Judged:
        return Judged(ok, "split of the answers", expected, found, how, details={"counts": counts},
                      kinds={"counts": "balance"})

    if traffic.pods_before != traffic.pods_after:
        return judged(False, f"the ready pods changed while sampling: {traffic.pods_before} -> {traffic.pods_after}")
    if len(counts) != pods or pods != 2:
        return judged(False, f"{len(counts)} pod(s) answered: {counts}")
    k = min(counts.values())
    p = binomial_two_sided_p(k, len(sample.answers))
    return judged(p >= alpha, {"counts": counts, "p_value": round(p, 6)})


def judge_answers(traffic: NodePortTraffic, name: str) -> Judged:
    """Every request through the NodePort was answered, each by a pod of the Deployment `name` that was ready
    before or after the sample (`KubeLab.sample_node_port`); who answered and the waits before it go with it."""
    s, current = traffic.sample, set(traffic.pods_before) | set(traffic.pods_after)
    strangers = sorted(set(s.answers) - current)
    return Judged(not s.failures and not strangers and len(s.answers) == s.sent, f"answers through {s.url}",
                  f"{s.sent} answers, each naming a pod of {name}",
                  {"answered": len(s.answers), "unanswered": len(s.failures), "unknown pods": strangers,
                   "first failures": s.failures[:3]},
                  f"{s.sent} x GET {s.url}, one connection each, from the lab host",
                  details={"counts": s.counts(), "failures": s.failures[:20], "pods_before": traffic.pods_before,
                           "pods_after": traffic.pods_after,
                           "connections_to_gone_pods_before_sampling": traffic.settling})
