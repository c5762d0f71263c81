"""What one container holds and says, read through the Docker SDK: a file from its filesystem, its log."""

from __future__ import annotations

import io
import tarfile
from typing import Any

from docker.types.daemon import CancellableStream


def container_logs(c: Any, *, stdout: bool = True, stderr: bool = True, timestamps: bool = False,
                   follow: bool = False) -> Any:
    """`docker logs` of the SDK container `c`, as `Container.logs` gives it (bytes; with `follow`, a stream that
    another thread can close), in one request: the SDK asks the engine first whether the container has a TTY,
    which `c`'s attributes already say (a round trip saved per call over a slow link)."""
    api = c.client.api
    params = {"stdout": int(stdout), "stderr": int(stderr), "timestamps": int(timestamps), "follow": int(follow),
              "tail": "all"}
    res = api._get(api._url("/containers/{0}/logs", c.id), params=params, stream=follow)
    out = api._get_result_tty(follow, res, bool(c.attrs["Config"].get("Tty")))
    return CancellableStream(out, res) if follow else out


def archive_file(container: Any, path: str) -> bytes | None:
    """The bytes of one file in a container (docker cp), or None where `path` is not a file."""
    stream, _ = container.get_archive(path)
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.next()
        f = tar.extractfile(member) if member else None
        return f.read() if f else None
