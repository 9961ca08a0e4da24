#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: the figure that does not drift with load.

For each server (raw hyper, oxapi, axum) and endpoint, the release server runs under
`valgrind --tool=callgrind`; a client warms it up, `callgrind_control --zero` resets the
counters, the client sends a fixed number of requests over one keep-alive connection, and
`callgrind_control --dump` writes the count of just those requests. Every thread of the server is
counted (the event loop and, for sync routes, the blocking threads), the client is not.

    python3 bench/instructions.py [--requests N] [--servers hyper,oxapi,axum]

Writes bench/results/instructions.json and bench/results/instructions.md. Needs valgrind; the
servers are built by `python3 bench/run.py` (release) or here with --build.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"

ENDPOINTS = [
    ("GET /hello/{name}", "GET", "/hello/world", None),
    ("GET /sync/hello/{name}", "GET", "/sync/hello/world", None),
    ("GET /items/{id}", "GET", "/items/42", None),
    ("GET /items?limit&offset", "GET", "/items?limit=10&offset=5", None),
    ("POST /items", "POST", "/items", b'{"name":"pen","price":1.5}'),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request_bytes(method: str, path: str, body: bytes | None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: {HOST}\r\n"
    if body is not None:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


class Connection:
    """One keep-alive HTTP/1.1 connection that reads whole responses (content-length only)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=60)
        self.buffer = b""

    def send(self, raw: bytes) -> int:
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        match = re.search(rb"(?i)content-length:\s*(\d+)", head)
        length = int(match.group(1)) if match else 0
        while len(rest) < length:
            rest += self._recv()
        self.buffer = rest[length:]
        return status

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        return data

    def close(self) -> None:
        self.sock.close()


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited while starting")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def total_ir(path: str) -> int:
    """The `summary:`/`totals:` Ir count of a callgrind output file."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def measure(server: str, requests: int, warmup: int, keep: Path | None = None) -> dict[str, float]:
    binary = BENCH / "target" / "release" / f"bench-{server}"
    results = {}
    for label, method, path, body in ENDPOINTS:
        port = free_port()
        out_dir = tempfile.mkdtemp(prefix=f"callgrind-{server}-")
        out = os.path.join(out_dir, "callgrind.out.%p")
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
             f"--callgrind-out-file={out}",
             str(binary), "--bind", f"{HOST}:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            wait_ready(port, proc)
            raw = request_bytes(method, path, body)
            conn = Connection(port)
            for _ in range(warmup):
                conn.send(raw)
            control(proc.pid, "--zero")
            statuses = set()
            for _ in range(requests):
                statuses.add(conn.send(raw))
            control(proc.pid, "--dump")
            conn.close()
            if not statuses <= {200, 201}:
                raise RuntimeError(f"{server} {label}: statuses {statuses}")
            dumps = sorted(glob.glob(os.path.join(out_dir, "callgrind.out.*.1")))
            if not dumps:
                raise RuntimeError(f"{server} {label}: no dump in {out_dir}")
            results[label] = total_ir(dumps[-1]) / requests
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
                os.replace(dumps[-1], keep / f"{server}-{slug}.callgrind")
            print(f"  {server:6} {label:28} {results[label]:10.0f} instructions/request", flush=True)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for file in glob.glob(os.path.join(out_dir, "*")):
                os.unlink(file)
            os.rmdir(out_dir)
    return results


def control(pid: int, action: str) -> None:
    # callgrind_control talks to the valgrind process, whose pid is the one we started.
    subprocess.run(["callgrind_control", action, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def render(data: dict) -> str:
    servers = data["servers"]
    lines = [
        "## Instructions per request (callgrind)",
        "",
        f"{data['requests']} requests per endpoint over one keep-alive HTTP/1.1 connection, after "
        f"{data['warmup']} warm-up requests; every thread of the server counted. Instruction counts "
        "do not drift with machine load. Ratio to raw hyper in parentheses (lower is better).",
        "",
        "| endpoint | " + " | ".join(servers) + " |",
        "|---|" + "---:|" * len(servers),
    ]
    for label, *_ in ENDPOINTS:
        base = data["results"].get("hyper", {}).get(label)
        cells = []
        for server in servers:
            value = data["results"][server].get(label)
            cells.append(f"{value:,.0f} ({value / base:.2f}×)" if value and base else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--servers", default="hyper,oxapi,axum")
    parser.add_argument("--build", action="store_true", help="build the release servers first")
    parser.add_argument("--keep", type=Path, help="keep each dump here, for callgrind_annotate")
    parser.add_argument("--endpoints", help="only endpoints whose label contains this text")
    args = parser.parse_args()
    if args.build:
        subprocess.run(["cargo", "build", "--release", "--manifest-path", str(BENCH / "Cargo.toml")], check=True)
    servers = args.servers.split(",")
    if args.endpoints:
        ENDPOINTS[:] = [e for e in ENDPOINTS if args.endpoints in e[0]]
    data = {"requests": args.requests, "warmup": args.warmup, "servers": servers, "results": {}}
    for server in servers:
        print(f"callgrind: {server}", flush=True)
        data["results"][server] = measure(server, args.requests, args.warmup, args.keep)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "instructions.json").write_text(json.dumps(data, indent=2) + "\n")
    markdown = render(data)
    (RESULTS / "instructions.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
