"""A TCP relay that holds every chunk for a fixed time in each direction: a link with added delay.

The kernel's netem qdisc would be the usual way (`tc qdisc add dev IF root netem delay 10ms`), but this
machine's kernel has no sch_netem (`tc` answers "Specified qdisc kind is unknown" and modprobe finds no
module), so the delay is added in user space, on the path between the SSH client and its server: what is
read from one side is written to the other `one_way_ms` later, in order and without a limit on the rate.
Used by scripts/bench_ssh.py --delay-ms.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 65536


async def _carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Each chunk read is written `delay_s` after it was read: a queue keeps the order, and a chunk read
    while another is held is held too (a pipe of that length, not one chunk at a time)."""
    held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def read() -> None:
        while data := await reader.read(CHUNK):
            held.put_nowait((time.monotonic() + delay_s, data))
        held.put_nowait((time.monotonic() + delay_s, b""))

    async def write() -> None:
        while True:
            due, data = await held.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    try:
        await asyncio.gather(read(), write())
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@contextmanager
def delayed_link(upstream_host: str, upstream_port: int, one_way_ms: float) -> Iterator[int]:
    """A relay on a free loopback port to upstream, `one_way_ms` each way (a round trip gains twice that);
    yields its port, and stops it and its connections at the end."""
    loop = asyncio.new_event_loop()
    delay_s = one_way_ms / 1000

    async def join(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(upstream_host, upstream_port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_carry(client_r, up_w, delay_s), _carry(up_r, client_w, delay_s))

    thread = threading.Thread(target=loop.run_forever, daemon=True, name="lc-delayed-link")
    thread.start()
    server = asyncio.run_coroutine_threadsafe(asyncio.start_server(join, "127.0.0.1", 0), loop).result(10)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        async def stop() -> None:
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # each connection's sockets are closed by its tasks on their way out: wait for that, or the
            # loop would stop with them open and the upstream never see its end
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # the transports' close callbacks

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
