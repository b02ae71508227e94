"""Link-checking throughput against local servers that answer after 50 ms.

Starts 20 servers (127.0.0.1 ... 127.0.0.20), checks 1,000 distinct URLs spread
over them, and prints, measured side by side in one run:

- wall time of the checker and the ideal ``N x latency / concurrency``, and
  their ratio as ``ratio_to_ideal: X`` (a re-check pass: titles known, HEAD only);
- the same with ``--per-host`` raised to the concurrency (per-host limit not binding);
- a first pass (HEAD, then GET for the title: two requests per URL);
- a plain sequential httpx loop over the first 100 URLs, scaled to 1,000;
- peak traced memory for 250 and for 1,000 URLs (flat means the ratio stays near 1).

    python -m benchmarks.linkcheck [--urls 1000] [--hosts 20] [--concurrency 50] [--per-host 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import threading
import time
import tracemalloc
from contextlib import ExitStack

import httpx

from tests.linkserver import serve
from tracker.linkcheck.links import check_many
from tracker.linkcheck.netguard import LinkPolicy, guarded_client

LATENCY = 0.05
POLICY = LinkPolicy.parse("127.0.0.0/8")  # allowed for the benchmark only


async def run_checker(
    urls: list[str], *, concurrency: int, per_host: int, want_title: bool, delay: float
) -> tuple[float, int]:
    def make_client(size: int) -> httpx.AsyncClient:
        return guarded_client(POLICY, timeout=10, user_agent="bench", max_connections=size)

    start = time.perf_counter()
    cpu = time.process_time()
    ok = 0
    async for result in check_many(
        make_client,
        [(u, want_title) for u in urls],
        POLICY,
        concurrency=concurrency,
        per_host=per_host,
        host_delay=delay,
    ):
        ok += result.ok
    print(f"  (checker CPU {time.process_time() - cpu:.2f} s for {len(urls)} urls)")
    return time.perf_counter() - start, ok


def sequential(urls: list[str]) -> float:
    start = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for url in urls:
            client.head(url)
    return time.perf_counter() - start


def _serve_forever(hosts: int, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    with ExitStack() as stack:
        servers = [
            stack.enter_context(serve(f"127.0.0.{i + 1}", delay=LATENCY)) for i in range(hosts)
        ]
        ports.put([s.base for s in servers])
        threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=5)
    parser.add_argument("--host-delay", type=float, default=0.05)
    args = parser.parse_args()
    # The servers run in their own process so they do not share the checker's GIL.
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server_process = multiprocessing.Process(
        target=_serve_forever, args=(args.hosts, ports), daemon=True
    )
    server_process.start()
    try:
        bases = ports.get(timeout=30)
        urls = [f"{bases[i % args.hosts]}/bench/{i}" for i in range(args.urls)]
        ideal = args.urls * LATENCY / args.concurrency
        wall, ok = asyncio.run(
            run_checker(
                urls,
                concurrency=args.concurrency,
                per_host=args.per_host,
                want_title=False,
                delay=args.host_delay,
            )
        )
        open_wall, _ = asyncio.run(
            run_checker(
                urls,
                concurrency=args.concurrency,
                per_host=args.concurrency,
                want_title=False,
                delay=args.host_delay,
            )
        )
        first, _ = asyncio.run(
            run_checker(
                urls,
                concurrency=args.concurrency,
                per_host=args.per_host,
                want_title=True,
                delay=args.host_delay,
            )
        )
        seq = sequential(urls[:100]) * (args.urls / 100)
        peaks = []
        for n in (args.urls // 4, args.urls):
            tracemalloc.start()
            asyncio.run(
                run_checker(
                    urls[:n],
                    concurrency=args.concurrency,
                    per_host=args.per_host,
                    want_title=False,
                    delay=0,
                )
            )
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    finally:
        server_process.terminate()
    print(
        f"urls: {args.urls} over {args.hosts} hosts, latency {LATENCY * 1000:.0f} ms, "
        f"concurrency {args.concurrency}, per-host {args.per_host}, "
        f"host delay {args.host_delay * 1000:.0f} ms; ok {ok}"
    )
    print(f"wall_time: {wall:.2f} s")
    print(f"ideal_wall_time: {ideal:.2f} s")
    print(f"ratio_to_ideal: {wall / ideal:.2f}")
    print(
        f"per_host_{args.concurrency}_wall_time: {open_wall:.2f} s (ratio {open_wall / ideal:.2f})"
    )
    print(
        f"first_pass_head_and_get_wall_time: {first:.2f} s "
        f"(ratio to 2 requests/url ideal {first / (2 * ideal):.2f})"
    )
    print(f"sequential_httpx_scaled_to_{args.urls}: {seq:.2f} s (speed-up {seq / wall:.1f}x)")
    print(
        f"peak_memory: {peaks[0] / 1e6:.1f} MB for {args.urls // 4} urls, "
        f"{peaks[1] / 1e6:.1f} MB for {args.urls} urls (ratio {peaks[1] / peaks[0]:.2f})"
    )


if __name__ == "__main__":
    main()
