"""A small HTTP/1.1 keep-alive load generator, for the API benchmarks.

Opens `connections` keep-alive sockets to 127.0.0.1 and sends GETs for `duration` seconds,
each connection one request at a time (no pipelining), as browsers and scripts do. Reads
each response by its Content-Length (or chunked encoding) so that no time goes to a full
HTTP client. Returns requests per second and latency percentiles. Runs on uvloop when it is
installed (it is, with the api extra's server).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from dataclasses import dataclass


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (for a server the benchmark starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"content-length:")
    if at >= 0:
        end = lower.find(b"\r\n", at)
        await reader.readexactly(int(lower[at + 15 : end]))
        return status
    if b"transfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                return status
    raise RuntimeError("response without a length")


async def _client(
    port: int, paths: list[str], deadline: float, latencies: list[float], counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode() for path in paths
    ]
    i = 0
    try:
        while (now := time.perf_counter()) < deadline:
            writer.write(requests[i % len(requests)])
            i += 1
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - now)
            counts[0 if status == 200 else 1] += 1
    finally:
        writer.close()


async def _run(port: int, paths: list[str], connections: int, duration: float) -> LoadResult:
    latencies: list[float] = []
    counts = [0, 0]
    start = time.perf_counter()
    deadline = start + duration
    await asyncio.gather(
        *(_client(port, paths, deadline, latencies, counts) for _ in range(connections))
    )
    seconds = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    return LoadResult(
        requests=counts[0],
        errors=counts[1],
        seconds=seconds,
        p50_ms=(statistics.median(latencies) if latencies else 0.0) * 1000,
        p99_ms=p99 * 1000,
    )


def run_load(
    port: int, paths: list[str], connections: int = 32, duration: float = 5.0
) -> LoadResult:
    try:
        import uvloop

        return uvloop.run(_run(port, paths, connections, duration))
    except ImportError:
        return asyncio.run(_run(port, paths, connections, duration))
