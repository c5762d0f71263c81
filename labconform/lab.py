"""The lab as the claims see it: one target, its Docker engine, its parameters, this run's name."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

from labconform import lease
from labconform.docker.containers import DockerLab, Workload, scratch_dir
from labconform.host import boot
from labconform.http import client as http
from labconform.kube.kubelab import KubeLab
from labconform.params import LabParams, load_params
from labconform.transport.target import Target

# how a Gherkin step names an image: a role the lab's parameters resolve to a real image ref
IMAGE_KINDS = ("base Tomcat", "mytc")


class Lab:
    def __init__(
        self,
        target: Target,
        run_name: str,
        params_file: str | None = None,
        kubeconfig: str | None = None,
    ) -> None:
        self.target = target
        self.kubeconfig = kubeconfig
        self.run_name = run_name
        self.params_file = params_file
        self._reboot: dict[str, Any] | Exception | None = None
        self._lock = threading.Lock()

    @cached_property
    def params(self) -> LabParams:
        return load_params(self.params_file, self.target.facts.family)

    @cached_property
    def docker(self) -> DockerLab:
        return DockerLab(self.target, self.run_name)

    @property
    def scratch(self) -> str:
        """The run's folder for temporary files on the lab host (docker_lab.scratch_dir)."""
        return scratch_dir(self.run_name)

    @cached_property
    def kube(self) -> KubeLab:
        """The cluster, through --kubeconfig or the target's admin.conf: one API client per run."""
        return KubeLab(self.target, self.kubeconfig)

    def image_ref(self, kind: str) -> str:
        if kind == "base Tomcat":
            return self.params.tomcat_image
        if kind == "mytc":
            return self.params.mytc_image
        raise ValueError(f"unknown image kind {kind!r}; one of {IMAGE_KINDS}")

    def workload(self, role: str, image_kind: str, auto_remove: bool = False) -> Workload:
        """The run's container for `role`, started on first use."""
        return self.docker.ensure(role, self.image_ref(image_kind), auto_remove=auto_remove)

    def workloads_together(self, wanted: dict[str, tuple[str, bool]]) -> dict[str, Exception]:
        """`workload` for every role of `wanted` ({role: (image kind, auto-remove)}), asked of the engine side by
        side (it creates and starts them in parallel); the roles that would not start, with what they raised."""

        def one(role: str) -> None:
            kind, auto_remove = wanted[role]
            self.workload(role, kind, auto_remove=auto_remove)

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(wanted))), thread_name_prefix="lc-start") as pool:
            started = {role: pool.submit(one, role) for role in wanted}
        return {role: exc for role, f in started.items() if isinstance(exc := f.exception(), Exception)}

    def rebooted(self) -> dict[str, Any]:
        """The run's one reboot of the lab host, made by the first claim that needs it; its outcome (or
        its failure, so that no later claim waits again) is shared by the claims after it."""
        with self._lock:
            if self._reboot is None:
                try:
                    lease.extend_held(self.target, boot.REBOOT_TIMEOUT_S + 60)  # unreachable meanwhile
                    self._reboot = boot.reboot(self.target)
                    self.docker.restart_reaper()  # the lab host's side of the old one ended with the old link
                except Exception as exc:  # noqa: BLE001 - kept, and raised for every claim that needs it
                    self._reboot = exc
            if isinstance(self._reboot, Exception):
                raise self._reboot
            return self._reboot

    def http_get(self, url: str, timeout: float = 10) -> http.Response:
        return http.get(self.target, url, timeout)

    def http_get_many(self, url: str, count: int, timeout: float = 10) -> list[http.Response]:
        return http.get_many(self.target, url, count, timeout)

    def url_for(self, w: Workload, path: str = "/") -> str:
        # requests go from the lab host itself (see http.get), where the port is published
        return f"http://127.0.0.1:{w.port}{path}"
