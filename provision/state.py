"""What provisioning checks read about a host: live through a Target, or recorded in a JSON file.

A recorded state lets the plan for a family that cannot run here (Rocky/RHEL) be computed with
`--check`, from facts gathered on such a host, with the same check code as a live run.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from labconform import input_files
from labconform.errors import UsageError
from labconform.host.services import service_state
from labconform.transport.target import Facts, Target


class LiveState:
    """Reads the host through its Target; nothing is cached past `forget()`, which follows each change."""

    recorded = False

    def __init__(self, target: Target) -> None:
        self.target = target
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def facts(self) -> Facts:
        return self.target.facts

    def forget(self) -> None:
        self._cache.clear()

    def _memo(self, kind: str, key: str, read: Any) -> Any:
        if (kind, key) not in self._cache:
            self._cache[(kind, key)] = read()
        return self._cache[(kind, key)]

    def package(self, name: str) -> str | None:
        return self._memo("pkg", name, lambda: self.target.package_version(name))

    def text(self, path: str) -> str | None:
        return self._memo("file", path, lambda: self.target.read_text(path))

    def raw(self, path: str) -> bytes | None:
        return self._memo("raw", path, lambda: self.target.read_bytes(path))

    def service(self, name: str) -> dict[str, bool]:
        """enabled/active through systemd, or through labconform's supervisor where systemd is not the init."""

        def read() -> dict[str, bool]:
            state = service_state(self.target, name)
            return {"enabled": bool(state["enabled"]), "active": bool(state["active"])}

        return self._memo("svc", name, read)

    def user_groups(self, user: str) -> list[str] | None:
        """The groups of a user (`id -nG`), or None when there is no such user."""

        def read() -> list[str] | None:
            res = self.target.run("id -nG %s", user)
            return res.stdout.split() if res.ok else None

        return self._memo("groups", user, read)

    def docker_info(self) -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            res = self.target.run("docker info --format '{{json .}}'", timeout=20)
            if not res.ok:
                return None
            info = json.loads(res.stdout)
            return None if info.get("ServerErrors") else info

        info = self._memo("docker", "info", read)
        if info is None:  # not answering (yet): ask again next time rather than remember it
            self._cache.pop(("docker", "info"), None)
        return info

    def image(self, ref: str) -> dict[str, Any] | None:
        def read() -> dict[str, Any] | None:
            res = self.target.run("docker image inspect %s", ref, timeout=20)
            return json.loads(res.stdout)[0] if res.ok else None

        return self._memo("image", ref, read)

    # --- the host and its trust (the Rocky, Fresh restart and root-trust steps) ---------------

    def perl_module(self, name: str) -> str | None:
        """The module's version when the host's perl loads it, else None."""
        from labconform.host import sysinfo

        def read() -> str | None:
            ok, version, _ = sysinfo.perl_module(self.target, name)
            return version if ok else None

        return self._memo("perl", name, read)

    def updates(self) -> Any:
        """sysinfo.Updates: the pending updates, whether the tool answered, the package lists' age."""
        from labconform.host import sysinfo

        return self._memo("updates", "", lambda: sysinfo.pending_updates(self.target, self.facts.family))

    def restart_pending(self) -> bool:
        from labconform.host import sysinfo

        return self._memo("restart", "", lambda: sysinfo.restart_pending(self.target, self.facts.family)[0])

    def hostname_resolves(self) -> bool:
        from labconform.host import sysinfo

        return self._memo(
            "resolve", "", lambda: bool(sysinfo.hostname_resolution(self.target, self.facts.hostname)["addresses"])
        )

    def repos_enabled(self) -> list[str]:
        def read() -> list[str]:
            res = self.target.run("dnf -q -C repolist --enabled")
            return [line.split()[0] for line in res.stdout.splitlines()[1:] if line.strip()]

        return self._memo("repos", "", read)

    def trust_fingerprints(self) -> list[str]:
        """SHA-256 fingerprints of the host trust store's certificates."""
        from labconform.trust import certs
        from labconform.trust import clients as trust

        def read() -> list[str]:
            path = trust.HOST_BUNDLE.get(self.facts.family, trust.HOST_BUNDLE["debian"])
            return [certs.fingerprint(p) for p in certs.pem_certificates(self.target.read_text(path) or "")]

        return self._memo("trust", "", read)

    def apt_candidate(self, package: str) -> str | None:
        from labconform.host import sysinfo

        return self._memo("candidate", package, lambda: sysinfo.apt_candidate(self.target, package))

    # --- the RHEL family's repositories and SELinux (provision/host/repos.py) ------------------------

    def repo_files(self) -> dict[str, str]:
        """The package tool's repository files: path -> text."""
        from labconform.host import repos

        return self._memo("repos", "files", lambda: repos.family_files(self.target, self.facts.family)[0])

    def selinux(self) -> dict[str, str] | None:
        """SELinux now, at boot and the container policy (labconform.host.selinux), or None without SELinux."""
        from labconform.host import selinux

        j = self._memo("selinux", "", lambda: selinux.judged_retained(self.target))
        return None if j.not_applicable else j.found

    def selinux_boolean(self, name: str) -> dict[str, str] | None:
        """A boolean's value now and persistently, or None without SELinux."""
        from labconform.host import selinux

        j = self._memo("sebool", name, lambda: selinux.judged_boolean(self.target, name))
        return None if j.not_applicable else j.found


class RecordedState:
    """A host's state as recorded in JSON: facts, packages, files, services, docker info, images."""

    recorded = True

    def __init__(self, data: dict[str, Any], source: str = "<recorded>") -> None:
        self.data = data
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> RecordedState:
        try:
            data = json.loads(input_files.read_text(path, "--facts"))
        except json.JSONDecodeError as exc:
            raise UsageError(f"--facts {path}:{exc.lineno}: not JSON ({exc.msg})") from None
        if not isinstance(data, dict) or not isinstance(data.get("facts"), dict):
            raise UsageError(f"--facts {path}: expected a recorded host: a mapping with a mapping under 'facts'")
        return cls(data, str(path))

    @cached_property
    def facts(self) -> Facts:
        return Facts.from_dict(self.data["facts"])

    def forget(self) -> None:
        pass

    def package(self, name: str) -> str | None:
        return self.data.get("packages", {}).get(name)

    def text(self, path: str) -> str | None:
        return self.data.get("files", {}).get(path)

    def raw(self, path: str) -> bytes | None:
        text = self.text(path)
        return None if text is None else text.encode()

    def service(self, name: str) -> dict[str, bool]:
        return {"enabled": False, "active": False, **self.data.get("services", {}).get(name, {})}

    def user_groups(self, user: str) -> list[str] | None:
        return self.data.get("users", {}).get(user)

    def docker_info(self) -> dict[str, Any] | None:
        return self.data.get("docker_info")

    def image(self, ref: str) -> dict[str, Any] | None:
        return self.data.get("images", {}).get(ref)

    # --- the host and its trust: keys of the recorded JSON (see tests/data/rocky-8.4.json) ----

    def perl_module(self, name: str) -> str | None:
        return self.data.get("perl_modules", {}).get(name)

    def updates(self) -> Any:
        from labconform.host import sysinfo

        # a recording without the lists' age was made right after reading them
        return sysinfo.Updates(list(self.data.get("pending_updates", [])), None,
                               self.data.get("package_lists_age_s", 0), {})

    def restart_pending(self) -> bool:
        return bool(self.data.get("restart_pending", False))

    def hostname_resolves(self) -> bool:
        return bool(self.data.get("hostname_resolves", False))

    def repos_enabled(self) -> list[str]:
        return list(self.data.get("repos_enabled", []))

    def trust_fingerprints(self) -> list[str]:
        return list(self.data.get("trust_fingerprints", []))

    def apt_candidate(self, package: str) -> str | None:
        return self.data.get("apt_candidates", {}).get(package)

    def repo_files(self) -> dict[str, str]:
        from labconform.host import repos

        dirs = (repos.YUM_DIR,) if self.facts.family == "rhel" else (repos.APT_DIR,)
        return {p: t for p, t in self.data.get("files", {}).items()
                if p == repos.APT_LIST or any(p.startswith(f"{d}/") for d in dirs)}

    def selinux(self) -> dict[str, str] | None:
        """{"now": "Enforcing", "at boot": "enforcing", "container policy": "container-selinux ..."}"""
        return self.data.get("selinux")

    def selinux_boolean(self, name: str) -> dict[str, str] | None:
        """{"now": "on", "persistent": "on"}"""
        return self.data.get("selinux_booleans", {}).get(name)
