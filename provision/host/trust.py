"""Root trust ("Dragged by the roots"): ISRG Root X1 in the host's trust store, from the family's
CA package, enabled and extracted into the bundle every client reads."""

from __future__ import annotations

from labconform.trust import certs
from provision.core import Step

APT = "DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l apt-get -y -q -o DPkg::Lock::Timeout=300"


def steps(ctx) -> list[Step]:
    st = ctx.state
    rhel = st.facts.family == "rhel"

    def check() -> tuple[bool, str]:
        fps = st.trust_fingerprints()
        ok = certs.ISRG_ROOT_X1_SHA256 in fps
        return ok, (f"ISRG Root X1 among the {len(fps)} roots of the host store" if ok
                    else f"ISRG Root X1 not among the {len(fps)} roots of the host store")

    if rhel:
        cmds = ("dnf -y update ca-certificates", "update-ca-trust extract")
    else:
        # a local admin may have deselected it ("!mozilla/ISRG_Root_X1.crt"): select it again
        cmds = (f"{APT} install ca-certificates",
                "sed -i 's|^!mozilla/ISRG_Root_X1.crt$|mozilla/ISRG_Root_X1.crt|' /etc/ca-certificates.conf",
                "update-ca-certificates")
    return [Step("ISRG Root X1 in the host trust store", ("roots-01", "roots-02"), check,
                 lambda: ctx.sh(*cmds), cmds)]
