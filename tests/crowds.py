"""Many people at once: clients from distinct loopback addresses, requests fired together."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
from personas import Persona

FIRST_HOST = 10  # 127.0.0.10 onwards: Linux answers the whole of 127.0.0.0/8 on loopback


@contextmanager
def crowd(url: str, name: str, size: int, first: int = FIRST_HOST) -> Iterator[list[Persona]]:
    """size personas called name, each connecting from its own address 127.0.0.N."""
    clients = [
        httpx.Client(
            base_url=url,
            timeout=60,
            transport=httpx.HTTPTransport(local_address=f"127.0.0.{first + n}"),
        )
        for n in range(size)
    ]
    try:
        yield [Persona(name, client) for client in clients]
    finally:
        for client in clients:
            client.close()


def all_at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run each call in its own thread, all released together; the responses in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))
