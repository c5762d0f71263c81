"""Steps about the lab's network link: interfaces up, speed and duplex, counters, bridge throughput."""

from __future__ import annotations

from pytest_bdd import given, then, when

from labconform import ahead, link

# "during the run" starts before any claim runs, not when the counter claim's turn comes
COUNTERS = ahead.declare("link counters", {"glitch-04"}, link.read)


@given("the link counters as the run found them", target_fixture="link_baseline")
def _(lab, prepared):
    """The snapshot taken before the claims ran; read now if this run selected no counter claim."""
    snap = prepared.get(COUNTERS)
    if not isinstance(snap, link.Snapshot):
        snap = prepared[COUNTERS] = link.read(lab.target)
    return snap


@then("every interface that carries the lab's traffic is up")
def _(lab, evidence):
    snap = link.read(lab.target)
    names = link.lab_interfaces(snap, lab.params.lab_interfaces)
    state = {n: snap.interfaces[n].state() if n in snap.interfaces else "absent" for n in names}
    ok = bool(names) and all(n in snap.interfaces and snap.interfaces[n].carries_what_it_should for n in names)
    evidence.check(ok, "lab interfaces", expected={n: "up" for n in names} or "at least one", found=state,
                   how=snap.command, default_route=snap.default)


@then("the host has a default route through an interface that is up and has an address")
def _(lab, evidence):
    evidence.judged(link.judged_route_out(link.read(lab.target)))


@then("each lab interface whose driver reports its link runs at the lab's speed and duplex")
def _(lab, evidence):
    evidence.judged(link.judged_speed(link.read(lab.target), lab.params.lab_interfaces, lab.params.link_speed_mbps,
                                      lab.params.link_duplex))


@when("a bounded transfer crosses the Docker bridge from the host to a container", target_fixture="transfer")
def _(lab):
    return link.bridge_transfer(lab.target, lab.docker, lab.params.mytc_image, lab.params.bridge_transfer_mib)


@then("every byte arrives and the median throughput is above the lab's floor")
def _(lab, evidence, transfer):
    floor = lab.params.bridge_throughput_floor_mbps
    evidence.check(transfer.complete and transfer.median_mbps > floor, f"host -> {transfer.address} over docker0",
                   expected={"complete": True, "median Mb/s": f"> {floor:g}"},
                   found={"complete": transfer.complete, "median Mb/s": transfer.median_mbps},
                   how=transfer.how, mib_per_sample=transfer.mib, samples_mbps=transfer.mbps, samples=transfer.samples)


@then("the error and drop counters of the lab's interfaces have not grown since the run began")
def _(lab, evidence, link_baseline):
    now = link.read(lab.target)
    names = link.lab_interfaces(now, lab.params.lab_interfaces)
    grown = link.counter_growth(link_baseline, now, names)
    shown = {n: {c: v for c, v in d.items() if not link.judged(now.interfaces[n], c)}
             for n, d in link.counter_growth(link_baseline, now, names, judged_only=False).items()}
    evidence.check(not grown, "error and drop counters", expected="no growth", found=grown or "no growth",
                   how=f"{now.command}, at collection and now ({now.taken - link_baseline.taken:.1f} s apart)",
                   interfaces=names, before=link.counters(link_baseline, names), after=link.counters(now, names),
                   bridge_drops_not_judged={n: d for n, d in shown.items() if d} or "none",
                   why_not_judged="a bridge counts as tx_dropped what it has no port to deliver to")
