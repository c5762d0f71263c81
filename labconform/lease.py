"""The lease on a lab host: who may change it now (owner, run, expiry), kept in a file on the target.

Provisioning and destructive claims take it; passive and active verification never do. The file is
read and written under `flock` on the target, so two holders can never both see it free. A holder
renews it while it lives; a lease that is not renewed expires, and a lease whose holder ran on this
machine and whose process is gone is stale at once.
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import Any

from labconform.option_values import seconds
from labconform.transport.target import Target

LEASE_FILE = "/var/lib/labconform/lease"
# another lease file on the target (tests use their own, so they never stand in a real holder's way)
LEASE_ENV = "LABCONFORM_LEASE_FILE"
# a lease a parent process holds and lends to the commands it runs (the change command's suite runs and
# repair): a keeper whose target holds a lease of this token uses it as it is, never renews or frees it
LENT_ENV = "LABCONFORM_LEASE_LENT"
DEFAULT_TTL_S = 120
# how pytest's and provisioning's --lease-wait read its value
WAIT_OPTION: dict[str, Any] = {"type": seconds, "default": 0, "metavar": "SECONDS"}


_HELD: weakref.WeakSet[LeaseKeeper] = weakref.WeakSet()  # the leases this process holds now


def extend_held(target: Target, seconds: float) -> None:
    """Stretch every lease this process holds on `target` over `seconds` in which it cannot be renewed."""
    for keeper in list(_HELD):
        if keeper.target.spec == target.spec:
            keeper.extend(seconds)


class LeaseLost(Exception):
    """The lab's lease is no longer its holder's (it expired, or another took it): nothing more is done to the lab."""


class LeaseHeld(Exception):
    """Someone else holds the lab's lease: says who, for which run, and until when."""

    def __init__(self, holder: Lease, target: str, waited: float) -> None:
        until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.expires))
        waited_txt = f" after waiting {waited:g} s" if waited else ""
        super().__init__(
            f"[{target}] the lab is leased to {holder.owner} (run {holder.run}, {holder.purpose}) "
            f"until {until}{waited_txt}; try again later"
        )
        self.holder = holder


@dataclass(frozen=True)
class Lease:
    owner: str  # user@machine of the holder
    run: str
    purpose: str
    token: str
    client: str  # machine id and pid of the holding process
    taken: int
    expires: int

    def as_text(self) -> str:
        return "".join(f"{k}={v}\n" for k, v in self.__dict__.items())

    @classmethod
    def parse(cls, text: str) -> Lease | None:
        kv = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        try:
            return cls(
                kv["owner"], kv["run"], kv.get("purpose", ""), kv["token"], kv.get("client", ""),
                int(kv["taken"]), int(kv["expires"]),
            )  # fmt: skip
        except (KeyError, ValueError):
            return None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def machine_id() -> str:
    for path in ("/etc/machine-id", "/proc/sys/kernel/random/boot_id"):
        try:
            with open(path) as fh:
                return fh.read().strip()
        except OSError:
            continue
    return socket.gethostname()


def _holder_dead(lease: Lease) -> bool:
    """True when the holder ran on this machine and its process is gone (killed, crashed)."""
    mid, _, pid = lease.client.rpartition(":")
    if mid != machine_id() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# Under flock on the target: take the lease when it is free, expired, or given as stale; else show it.
_TAKE = r"""
mkdir -p {dir} && exec 9>>{file}.lock && flock -w 10 9 || {{ echo LC-LEASE-ERROR; exit 3; }}
now=$(date +%s)
if [ -s {file} ]; then
  exp=$(sed -n 's/^expires=//p' {file}); tok=$(sed -n 's/^token=//p' {file})
  if [ "$tok" != {token} ] && [ "$tok" != {stale} ] && [ "${{exp:-0}}" -gt "$now" ]; then
    echo LC-LEASE-HELD; cat {file}; exit 0
  fi
fi
printf '%s' {body} | sed "s/^taken=.*/taken=$now/; s/^expires=.*/expires=$((now + {ttl}))/" > {file}.new
mv {file}.new {file}
echo LC-LEASE-TAKEN; cat {file}
"""

# renewing never shortens: a lease stretched over a reboot keeps its later expiry
_RENEW = r"""
exec 9>>{file}.lock && flock -w 10 9 || exit 3
[ "$(sed -n 's/^token=//p' {file} 2>/dev/null)" = {token} ] || {{ echo LC-LEASE-LOST; cat {file} 2>/dev/null; exit 0; }}
exp=$(sed -n 's/^expires=//p' {file}); new=$(( $(date +%s) + {ttl} ))
[ "${{exp:-0}}" -gt "$new" ] && new=$exp
sed -i "s/^expires=.*/expires=$new/" {file} && echo LC-LEASE-RENEWED
"""

_RELEASE = r"""
exec 9>>{file}.lock && flock -w 10 9 || exit 3
[ "$(sed -n 's/^token=//p' {file} 2>/dev/null)" = {token} ] && rm -f {file}
exit 0
"""


class LeaseKeeper:
    """Takes the lease on one target, renews it in the background, gives it back."""

    def __init__(
        self,
        target: Target,
        run: str,
        purpose: str,
        ttl_s: int = DEFAULT_TTL_S,
        path: str | None = None,
    ) -> None:
        self.target = target
        self.run = run
        self.purpose = purpose
        self.ttl_s = int(ttl_s)
        self.path = path or os.environ.get(LEASE_ENV) or LEASE_FILE
        self.token = uuid.uuid4().hex
        self.held: Lease | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.lost: str | None = None  # why the lease is no longer ours, once a renewal found out
        self.lent = False  # held by the process that started this one (LENT_ENV): its to renew and free

    def _fmt(self, script: str, **extra: object) -> str:
        values: dict[str, object] = {"dir": shlex.quote(os.path.dirname(self.path)), "file": shlex.quote(self.path),
                                     "token": shlex.quote(self.token), "ttl": self.ttl_s}
        return script.format(**{**values, **extra})

    def current(self) -> Lease | None:
        """The lease as the target holds it now (None: free)."""
        text = self.target.read_text(self.path)
        return Lease.parse(text) if text else None

    def _try(self, stale: str) -> tuple[bool, Lease | None]:
        me = Lease(
            owner=f"{getpass.getuser()}@{socket.gethostname()}",
            run=self.run,
            purpose=self.purpose,
            token=self.token,
            client=f"{machine_id()}:{os.getpid()}",
            taken=0,
            expires=0,
        )
        res = self.target.run(self._fmt(_TAKE, stale=shlex.quote(stale), body=shlex.quote(me.as_text())), timeout=30)
        head, _, rest = res.stdout.partition("\n")
        if head == "LC-LEASE-TAKEN":
            return True, Lease.parse(rest)
        if head == "LC-LEASE-HELD":
            return False, Lease.parse(rest)
        raise OSError(f"[{self.target.name}] cannot take the lease {self.path}: {(res.stderr or res.stdout).strip()}")

    def acquire(self, wait_s: float = 0) -> Lease:
        """Take the lease, waiting up to wait_s seconds for the holder; LeaseHeld when it stays taken."""
        start = time.monotonic()
        lent = self._lent()
        if lent is not None:  # renewed by the lender; extend() may still stretch it (never shortens)
            self.held, self.lent, self.token = lent, True, lent.token
            _HELD.add(self)
            return lent
        stale = "-"
        while True:
            ok, lease = self._try(stale)
            if ok and lease is not None:
                self.held, self.lost = lease, None
                _HELD.add(self)
                self._renewer = threading.Thread(target=self._renew_loop, daemon=True, name="lc-lease")
                self._renewer.start()
                return lease
            if lease is None:  # held, but not as this project writes a lease: nobody can say whose it is
                raise OSError(f"[{self.target.name}] the lease file {self.path} is unreadable (each of owner=, run=, "
                              "token=, taken=, expires= on a line, the times whole seconds): if no one holds the lab, "
                              "remove it")
            if _holder_dead(lease):
                stale = lease.token  # taken over at once on the next try, under the lock
                continue
            waited = time.monotonic() - start
            if waited >= wait_s:
                raise LeaseHeld(lease, self.target.name, round(waited, 1))
            time.sleep(min(1.0, max(wait_s - waited, 0.05)))

    def _lent(self) -> Lease | None:
        """The lease as the target holds it, when it is the one lent to this process (LENT_ENV)."""
        token = os.environ.get(LENT_ENV)
        now = self.current() if token else None
        return now if now is not None and now.token == token and now.expires > time.time() else None

    def lend(self) -> dict[str, str]:
        """The environment under which a command this process runs uses this lease as its own."""
        if self.held is None:
            raise RuntimeError("lend: the lease is not held")
        return {LENT_ENV: self.token, LEASE_ENV: self.path}

    def _renew(self, ttl_s: int) -> bool:
        """Push the expiry to at least now + ttl_s; False (and `lost` says to whom) when it is no longer ours."""
        res = self.target.run(self._fmt(_RENEW, ttl=int(ttl_s)), timeout=20)
        head, _, rest = res.stdout.partition("\n")
        if head == "LC-LEASE-LOST":
            now = Lease.parse(rest)
            self.lost = (f"the lease on {self.target.name} expired while this run held it"
                         + (f"; {now.owner} (run {now.run}, {now.purpose}) holds it now" if now else ""))
            return False
        return True

    def extend(self, seconds: float) -> None:
        """Keep the lease for at least `seconds` more without renewing (a reboot, when the target cannot be
        reached); renewals after it never shorten it."""
        if self.held is not None:
            self._renew(max(int(seconds), self.ttl_s))

    def _renew_loop(self) -> None:
        while not self._stop.wait(max(self.ttl_s / 3, 1)):
            try:
                if not self._renew(self.ttl_s):
                    return
            except Exception:  # noqa: BLE001 - the target may be gone; the lease then just expires
                continue

    def release(self) -> None:
        self._stop.set()
        _HELD.discard(self)
        if self.held is None or self.lent:
            self.held = None
            return
        self.held = None
        try:
            self.target.run(self._fmt(_RELEASE), timeout=20)
        except Exception:  # noqa: BLE001 - unreachable: the lease expires by itself
            pass

    def __enter__(self) -> LeaseKeeper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
