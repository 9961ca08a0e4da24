#!/usr/bin/env python3
"""Opens N keep-alive connections to a server, sends one request on each, reads the whole
response, then keeps them all open and idle until told to close.

    idle_client.py HOST PORT N [--path /hello/idle] [--parallel 200] [--hold-max 120]

Prints `READY ok=K failed=F seconds=S` once every connection has been tried, then waits for a
line on standard input (or its end, or --hold-max seconds), closes everything, prints `CLOSED`
and exits. Standard library only. Only for addresses on this machine.
"""

import argparse
import asyncio
import os
import resource
import sys
import time


async def open_one(host, port, path, sem, writers, counts):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except (OSError, asyncio.TimeoutError):
            counts["failed"] += 1
            return
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await asyncio.wait_for(reader.readexactly(length), 10)
            if status != 200:
                raise ValueError(f"status {status}")
        except (OSError, ValueError, IndexError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            counts["failed"] += 1
            writer.close()
            return
        counts["ok"] += 1
        writers.append(writer)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("n", type=int)
    parser.add_argument("--path", default="/hello/idle")
    parser.add_argument("--parallel", type=int, default=200)
    parser.add_argument("--hold-max", type=float, default=120.0)
    args = parser.parse_args()
    if not (args.host.startswith("127.") or args.host in ("localhost", "::1")):
        sys.exit("idle_client: only addresses on this machine")

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.n + 100:
        sys.exit(f"idle_client: the file limit ({hard}) is below {args.n} connections")

    writers = []
    counts = {"ok": 0, "failed": 0}
    sem = asyncio.Semaphore(args.parallel)
    start = time.monotonic()
    await asyncio.gather(
        *(open_one(args.host, args.port, args.path, sem, writers, counts) for _ in range(args.n))
    )
    seconds = time.monotonic() - start
    print(f"READY ok={counts['ok']} failed={counts['failed']} seconds={seconds:.1f}", flush=True)

    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), args.hold_max)
    except asyncio.TimeoutError:
        pass
    for writer in writers:
        writer.close()
    print("CLOSED", flush=True)
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
    # A readline left waiting in the executor (after --hold-max) must not keep us alive.
    os._exit(0)
