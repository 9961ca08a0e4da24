#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: the figure that does not drift with load.

For each server (raw hyper, oxapi, axum) and endpoint, the release server runs under
`valgrind --tool=callgrind`; a client warms it up, `callgrind_control --zero` resets the
counters, the client sends a fixed number of requests over one keep-alive connection, and
`callgrind_control --dump` writes the count of just those requests. Every thread of the server is
counted (the event loop and, for sync routes, the blocking threads), the client is not.

    python3 bench/instructions.py [--requests N] [--servers hyper,oxapi,axum] [--layers | --tls]

Writes bench/results/instructions.json and bench/results/instructions.md. Needs valgrind; the
servers are built by `python3 bench/run.py` (release) or here with --build.

--layers runs the servers with BENCH_LAYERS=1: each behind the same tower-http stack (trace,
CORS, compression) and writes bench/results/instructions-layers.{json,md} instead, ratios to raw
hyper behind the same layers. Its requests carry no Origin and no Accept-Encoding, so the layers
run but answer no preflight and compress nothing; rows marked "+ gzip" send
`accept-encoding: gzip` to the endpoints whose answers are large enough to be compressed. Its
table of what the layers add subtracts each server's figure in instructions.json: run the plain
measurement first, from the same build. With --keep, the dumps are named SERVER-layers-ENDPOINT.

--tls serves HTTPS (`--tls-cert/--tls-key`, a self-signed certificate for 127.0.0.1 and localhost
that `openssl` writes into bench/target/tls/) and counts the same requests over one TLS
keep-alive HTTP/1.1 connection (python's ssl, ALPN http/1.1); the handshake and the warm-up come
before the counters are zeroed. Writes bench/results/instructions-tls.{json,md}, ratios to raw
hyper over TLS, and what TLS adds over each server's figure in instructions.json (run the plain
measurement first, from the same build). With --keep, the dumps are named SERVER-tls-ENDPOINT.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from certs import client_context, server_args, tls_files

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
HOST = "127.0.0.1"

# label, method, path, body, extra header lines
ENDPOINTS = [
    ("GET /hello/{name}", "GET", "/hello/world", None, ""),
    ("GET /sync/hello/{name}", "GET", "/sync/hello/world", None, ""),
    ("GET /items/{id}", "GET", "/items/42", None, ""),
    ("GET /items?limit&offset", "GET", "/items?limit=10&offset=5", None, ""),
    ("POST /items", "POST", "/items", b'{"name":"pen","price":1.5}', ""),
]

# With --layers, also these: the answers CompressionLayer compresses (its default predicate
# leaves bodies under 32 bytes alone, so /hello and /items/{id} would not be).
GZIP = "accept-encoding: gzip\r\n"
GZIP_ENDPOINTS = [
    ("GET /items?limit&offset + gzip", "GET", "/items?limit=10&offset=5", None, GZIP),
    ("POST /items + gzip", "POST", "/items", b'{"name":"pen","price":1.5}', GZIP),
]

LAYERS_ENV = {"BENCH_LAYERS": "1"}

# HTTP/1.1 by ALPN, as a client that speaks only HTTP/1.1 gets it.
TLS_ALPN = "http/1.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request_bytes(method: str, path: str, body: bytes | None, extra: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: {HOST}\r\n{extra}"
    if body is not None:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + (body or b"")


class Connection:
    """One keep-alive HTTP/1.1 connection that reads whole responses (content-length, or
    chunked: a compressed answer has no length)."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None):
        self.sock = socket.create_connection((HOST, port), timeout=60)
        if tls is not None:
            # The handshake completes here, before any request.
            self.sock = tls.wrap_socket(self.sock, server_hostname=HOST)
            if self.sock.selected_alpn_protocol() != TLS_ALPN:
                raise RuntimeError(f"ALPN chose {self.sock.selected_alpn_protocol()!r}")
        self.buffer = b""
        self.last_head = b""

    def send(self, raw: bytes) -> int:
        self.sock.sendall(raw)
        head = self._until(b"\r\n\r\n")
        self.last_head = head
        status = int(head.split(b" ", 2)[1])
        if re.search(rb"(?im)^transfer-encoding:.*chunked", head):
            while True:
                size = int(self._until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    while self._until(b"\r\n"):  # trailers, then the empty line
                        pass
                    break
                self._take(size + 2)
        else:
            match = re.search(rb"(?i)content-length:\s*(\d+)", head)
            self._take(int(match.group(1)) if match else 0)
        return status

    def _until(self, separator: bytes) -> bytes:
        while separator not in self.buffer:
            self.buffer += self._recv()
        line, _, self.buffer = self.buffer.partition(separator)
        return line

    def _take(self, length: int) -> bytes:
        while len(self.buffer) < length:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return data

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


def measure(server: str, requests: int, warmup: int, keep: Path | None = None,
            layers: bool = False, tls: tuple[Path, Path] | None = None,
            negotiated: dict | None = None) -> dict[str, float]:
    """Instructions per request of `server` on each endpoint. With `tls`, over HTTPS; the TLS
    version, cipher suite and ALPN protocol of its connections go into `negotiated[server]`."""
    binary = BENCH / "target" / "release" / f"bench-{server}"
    tls_args = server_args(tls) if tls else []
    context = client_context(tls[0], [TLS_ALPN]) if tls else None
    env = dict(os.environ)
    env.pop("BENCH_LAYERS", None)
    if layers:
        env.update(LAYERS_ENV)
    results = {}
    for label, method, path, body, extra in ENDPOINTS + (GZIP_ENDPOINTS if layers else []):
        port = free_port()
        out_dir = tempfile.mkdtemp(prefix=f"callgrind-{server}-")
        out = os.path.join(out_dir, "callgrind.out.%p")
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--compress-strings=no", "--compress-pos=no",
             f"--callgrind-out-file={out}",
             str(binary), "--bind", f"{HOST}:{port}", *tls_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env,
        )
        try:
            wait_ready(port, proc)
            raw = request_bytes(method, path, body, extra)
            conn = Connection(port, context)
            for _ in range(warmup):
                conn.send(raw)
            if context is not None:
                session = {"version": conn.sock.version(), "cipher": conn.sock.cipher()[0],
                           "alpn": conn.sock.selected_alpn_protocol()}
                if negotiated.setdefault(server, session) != session:
                    raise RuntimeError(f"{server} {label}: negotiated {session}, before "
                                       f"{negotiated[server]}")
            # What is measured is what was meant: compressed exactly when asked for, and
            # behind the layers exactly when asked for (they add `vary` to these answers).
            compressed = re.search(rb"(?im)^content-encoding:\s*gzip", conn.last_head) is not None
            if compressed != (extra == GZIP):
                raise RuntimeError(f"{server} {label}: compressed={compressed}")
            varies = re.search(rb"(?im)^vary:", conn.last_head) is not None
            if "items?" in path and varies != layers:
                raise RuntimeError(f"{server} {label}: vary={varies} with layers={layers}")
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
                variant = "layers-" if layers else "tls-" if tls else ""
                name = f"{server}-{variant}{slug}"
                os.replace(dumps[-1], keep / f"{name}.callgrind")
            print(f"  {server:6} {label:32} {results[label]:10.0f} instructions/request", flush=True)
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


# What each variant is, for the tables: its results' file name, a title's suffix, the heading of
# what it adds over the plain servers, and a paragraph on how it is set up.
VARIANTS = {
    "plain": {"file": "instructions", "title": "", "adds": None, "about": None},
    "layers": {
        "file": "instructions-layers",
        "title": " behind trace + CORS + compression",
        "adds": "What the layers add: instructions per request above the same server without them",
        "about": "Every server behind the same tower-http layers (`BENCH_LAYERS=1`), outermost "
                 "first: `TraceLayer::new_for_http()` (no subscriber installed), "
                 "`CorsLayer::permissive()`, `CompressionLayer::new()` (gzip); the ratio is to raw "
                 "hyper behind the same layers. The requests carry no `Origin` and, except in the "
                 "`+ gzip` rows, no `Accept-Encoding`: the layers run but compress nothing. The "
                 "`+ gzip` rows send `accept-encoding: gzip`, and the answer is compressed.",
    },
    "tls": {
        "file": "instructions-tls",
        "title": " over TLS",
        "adds": "What TLS adds: instructions per request above the same server over plain TCP",
        "about": "Every server serving HTTPS (`--tls-cert/--tls-key`, a self-signed ECDSA P-256 "
                 "certificate): oxapi through `App::tls`, raw hyper and axum behind the same "
                 "rustls setup as oxapi's (`bench/work/src/tls.rs`: the `ring` provider, ALPN "
                 "`h2` then `http/1.1`). The client is python's `ssl` over one keep-alive "
                 "connection; the handshake and the warm-up come before the counters are zeroed, "
                 "so the figures are the per-request cost: the server's HTTP work plus rustls "
                 "decrypting each request and encrypting each response. The ratio is to raw hyper "
                 "over TLS.",
    },
}


def render(data: dict, plain: dict | None = None) -> str:
    servers = data["servers"]
    variant = VARIANTS[data.get("variant", "layers" if data.get("layers") else "plain")]
    lines = [
        f"## Instructions per request{variant['title']} (callgrind)",
        "",
        f"{data['requests']} requests per endpoint over one keep-alive HTTP/1.1 connection, after "
        f"{data['warmup']} warm-up requests; every thread of the server counted. Instruction counts "
        "do not drift with machine load. Ratio to raw hyper in parentheses (lower is better).",
    ]
    if variant["about"]:
        lines += ["", variant["about"]]
    if data.get("negotiated"):
        sessions = sorted({f"{s['version']}, {s['cipher']}, ALPN {s['alpn']}"
                           for s in data["negotiated"].values()})
        lines += ["", "Negotiated: " + "; ".join(sessions) + "."]
    lines += [
        "",
        "| endpoint | " + " | ".join(servers) + " |",
        "|---|" + "---:|" * len(servers),
    ]
    labels = [e[0] for e in ENDPOINTS + (GZIP_ENDPOINTS if data.get("layers") else [])]
    for label in labels:
        base = data["results"].get("hyper", {}).get(label)
        cells = []
        for server in servers:
            value = data["results"][server].get(label)
            cells.append(f"{value:,.0f} ({value / base:.2f}×)" if value and base else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if variant["adds"] and plain is not None:
        lines += [
            "",
            f"{variant['adds']} (`instructions.json`, {plain['requests']} requests, measured separately; between runs "
            "the sync route moves by up to a thousand instructions, the list by up to two hundred, "
            "the others by a few dozen).",
            "",
            "| endpoint | " + " | ".join(servers) + " |",
            "|---|" + "---:|" * len(servers),
        ]
        for label, *_ in ENDPOINTS:
            cells = []
            for server in servers:
                value = data["results"][server].get(label)
                before = plain["results"].get(server, {}).get(label)
                cells.append(f"+{value - before:,.0f} ({before:,.0f} → {value:,.0f})"
                             if value and before else "–")
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
    parser.add_argument("--layers", action="store_true",
                        help="serve behind trace + CORS + compression (BENCH_LAYERS=1); "
                             "writes results/instructions-layers.*")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS, count requests over one TLS connection; "
                             "writes results/instructions-tls.*")
    args = parser.parse_args()
    if args.layers and args.tls:
        parser.error("--layers and --tls measure one variant each; run them one at a time")
    if args.build:
        subprocess.run(["cargo", "build", "--release", "--manifest-path", str(BENCH / "Cargo.toml")], check=True)
    servers = args.servers.split(",")
    if args.endpoints:
        ENDPOINTS[:] = [e for e in ENDPOINTS if args.endpoints in e[0]]
        GZIP_ENDPOINTS[:] = [e for e in GZIP_ENDPOINTS if args.endpoints in e[0]]
    variant = "layers" if args.layers else "tls" if args.tls else "plain"
    data = {"requests": args.requests, "warmup": args.warmup, "servers": servers, "results": {}}
    if args.layers:
        data["layers"] = True
        data["env"] = LAYERS_ENV
    tls = tls_files() if args.tls else None
    if tls:
        data["variant"] = "tls"
        data["negotiated"] = {}
    for server in servers:
        print(f"callgrind: {server}" + (" (BENCH_LAYERS=1)" if args.layers else "")
              + (" (TLS)" if tls else ""), flush=True)
        data["results"][server] = measure(server, args.requests, args.warmup, args.keep,
                                          args.layers, tls, data.get("negotiated"))
    RESULTS.mkdir(exist_ok=True)
    name = VARIANTS[variant]["file"]
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    plain = None
    if variant != "plain" and (RESULTS / "instructions.json").exists():
        plain = json.loads((RESULTS / "instructions.json").read_text())
    markdown = render(data, plain)
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
