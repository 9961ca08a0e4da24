#!/usr/bin/env python3
"""oxapi's load benchmark: the same service written with oxapi, raw hyper, axum, actix-web and
FastAPI, measured with wrk. See bench/README.md.

    python3 bench/run.py smoke              build (debug) and check every server's answers
    python3 bench/run.py load [--quick]     throughput, latency and peak RSS per endpoint
    python3 bench/run.py isolation          the fast route's latency while a slow route works
    python3 bench/run.py idle               memory per idle keep-alive connection
    python3 bench/run.py files              a 100 MiB multipart upload, static file throughput
    python3 bench/run.py all                load, isolation and idle, in this order

Python 3.11 standard library only. Every server runs on core 0 and every load generator on
core 1; all traffic goes to 127.0.0.1; each process this script starts is stopped by its id.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import hashlib
import html
import http.client
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import certs
import todo

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TARGET = BENCH / "target"
VENV = BENCH / ".venv"
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
WRK_DIR = BENCH / "wrk"
HOST = "127.0.0.1"
SERVER_CORE = "0"
CLIENT_CORE = "1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The servers. `pool` says where the sync route's work runs; `x_thread` is the prefix the sync
# route's `x-thread` header must have (None: any name); `tls`: serves HTTPS when given
# `--tls-cert/--tls-key` (smoke checks it, instructions.py --tls measures it).
SERVERS = {
    "hyper": dict(
        kind="rust", binary="bench-hyper", label="raw hyper 1",
        note="hand-routed; hyper-util auto builder; tokio, 1 worker thread; sync route: spawn_blocking",
        x_thread=None, strict_media_type=True, work={}, tls=True,
    ),
    "oxapi": dict(
        kind="rust", binary="bench-oxapi", label="oxapi",
        note="tokio, 1 worker thread; sync route: plain fn on oxapi's blocking pool (default size)",
        x_thread="oxapi-blocking-", strict_media_type=True,
        work={"cpu": "/work/cpu", "sleep": "/work/sleep"}, realtime=True, files=True, tls=True,
    ),
    "axum": dict(
        kind="rust", binary="bench-axum", label="axum 0.8",
        note="tokio, 1 worker thread; sync route: spawn_blocking",
        x_thread=None, strict_media_type=True,
        work={"inline-cpu": "/work/inline/cpu", "inline-sleep": "/work/inline/sleep",
              "blocking-cpu": "/work/blocking/cpu", "blocking-sleep": "/work/blocking/sleep"},
        realtime=True, files=True, tls=True,
    ),
    "actix": dict(
        kind="rust", binary="bench-actix", label="actix-web 4",
        note="1 worker; sync route: web::block",
        x_thread=None, strict_media_type=True, work={},
    ),
    "fastapi": dict(
        kind="python", workers=1, label="FastAPI (uvicorn, 1 worker)",
        note="uvicorn[standard] (uvloop, httptools), 1 process; sync route: def (thread pool)",
        x_thread="AnyIO worker thread", strict_media_type=False,
        work={"cpu": "/work/cpu", "sleep": "/work/sleep"}, realtime=True,
    ),
    "fastapi-w2": dict(
        kind="python", workers=2, label="FastAPI (uvicorn --workers 2)",
        note="2 worker processes, both pinned to the same single core 0",
        x_thread="AnyIO worker thread", strict_media_type=False, work={},
    ),
}
LOAD_SERVERS = ["hyper", "oxapi", "axum", "actix", "fastapi", "fastapi-w2"]
IDLE_SERVERS = ["hyper", "oxapi", "axum", "actix", "fastapi"]
# The realtime mode's servers: those with WebSockets and Server-Sent Events of their own.
REALTIME_SERVERS = [n for n, spec in SERVERS.items() if spec.get("realtime")]
REALTIME_CLIENT = "bench-realtime"

# The load mode's endpoints: (key, label, path, wrk script, which connection count).
ENDPOINTS = [
    ("hello", "GET /hello/{name}", "/hello/bench", "report.lua", "connections"),
    ("sync_hello", "GET /sync/hello/{name}", "/sync/hello/bench", "report.lua", "connections"),
    ("read_item", "GET /items/{id}", "/items/42", "report.lua", "connections"),
    ("list_items", "GET /items?limit&offset", "/items?limit=10&offset=0", "report.lua", "connections"),
    ("create_item", "POST /items", "/items", "post.lua", "connections"),
    ("io", "GET /io (10 ms sleep)", "/io", "report.lua", "io_connections"),
]

# The isolation mode's variants: (key, server, label, {work kind: slow path}, environment).
ISOLATION = [
    ("oxapi", "oxapi", "oxapi, plain fn (default policy: nice 15, 0.1 ms slices)",
     {"cpu": "/work/cpu", "sleep": "/work/sleep"}),
    ("oxapi-background", "oxapi", "oxapi, plain fn (isolation first: SCHED_IDLE)",
     {"cpu": "/work/cpu", "sleep": "/work/sleep"}, {"BENCH_BLOCKING_PRIORITY": "background"}),
    ("fastapi", "fastapi", "FastAPI (def → thread pool)",
     {"cpu": "/work/cpu", "sleep": "/work/sleep"}),
    ("axum-inline", "axum", "axum (work inline in async fn)",
     {"cpu": "/work/inline/cpu", "sleep": "/work/inline/sleep"}),
    ("axum-spawn_blocking", "axum", "axum (spawn_blocking)",
     {"cpu": "/work/blocking/cpu", "sleep": "/work/blocking/sleep"}),
]
FAST_PATH = "/hello/bench"
# The files mode's servers: those with `POST /upload` (multipart, the file's bytes counted and
# discarded) and a static directory at `/static/` (oxapi's `App::static_files`, axum's
# tower-http `ServeDir`).
FILES_SERVERS = [n for n, spec in SERVERS.items() if spec.get("files")]
# The directory every server is given as BENCH_STATIC_DIR, and the files run.py puts in it.
STATIC_DIR = TARGET / "bench-static"
STATIC_FILES = {"small.txt": 100, "64k.bin": 64 * 1024}
# The files mode's static endpoints: (key, label, path).
STATIC_ENDPOINTS = [
    ("static_64k", "GET /static/64k.bin (64 KiB)", "/static/64k.bin"),
    ("static_small", "GET /static/small.txt (100 B)", "/static/small.txt"),
]
UPLOAD_BOUNDARY = "bench-upload-boundary"
MIB = 1024 * 1024

# --------------------------------------------------------------------------------------------
# Processes: everything started is registered and stopped by its id at exit.

_started: list[subprocess.Popen] = []


def _stop_process(proc: subprocess.Popen, grace: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    # Our children were started in their own session: their process group id is their pid.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _cleanup() -> None:
    while _started:
        _stop_process(_started.pop(), grace=2.0)


atexit.register(_cleanup)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def popen(cmd: list[str], **kwargs) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    _started.append(proc)
    return proc


def forget(proc: subprocess.Popen) -> None:
    _stop_process(proc)
    if proc in _started:
        _started.remove(proc)


# --------------------------------------------------------------------------------------------
# /proc


def read_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cpu_jiffies() -> dict[str, tuple[int, int]]:
    """Per core: (busy jiffies without steal, steal jiffies)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if re.match(r"cpu\d+ ", line):
                name, *vals = line.split()
                v = [int(x) for x in vals] + [0] * 10
                user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
                out[name] = (user + nice + system + irq + softirq, steal)
    return out


def busy_pct(seconds: float) -> float:
    """The machine's CPU use over `seconds`, in % of one core, summed over all cores."""
    a = cpu_jiffies()
    time.sleep(seconds)
    b = cpu_jiffies()
    busy = sum(b[c][0] - a[c][0] for c in b if c in a) / CLK_TCK
    return 100.0 * busy / seconds


class Noise:
    """What else used the CPU during one measurement: both cores' busy time minus the server's
    and the load generator's. Approximate (kernel threads doing their network work count as
    'other')."""

    def __init__(self, server_pids_fn, other_clients: tuple[int, ...] = (),
                 database_pids_fn=None):
        self.server_pids_fn = server_pids_fn
        # The database's processes (the todo mode's PostgreSQL): their CPU is reported on its
        # own, not as other.
        self.database_pids_fn = database_pids_fn
        self.d0 = {p: proc_cpu_seconds(p) for p in database_pids_fn()} if database_pids_fn else {}
        self.other_clients = other_clients  # load generators that are not our waited-for children
        self.x0 = sum(proc_cpu_seconds(p) for p in other_clients)
        self.t0 = time.monotonic()
        self.j0 = cpu_jiffies()
        self.s0 = sum(proc_cpu_seconds(p) for p in server_pids_fn())
        self.c0 = resource.getrusage(resource.RUSAGE_CHILDREN)

    def finish(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        j1 = cpu_jiffies()
        s1 = sum(proc_cpu_seconds(p) for p in self.server_pids_fn())
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = sum(j1[c][0] - self.j0[c][0] for c in j1 if c in self.j0) / CLK_TCK
        steal = sum(j1[c][1] - self.j0[c][1] for c in j1 if c in self.j0) / CLK_TCK
        client = (c1.ru_utime + c1.ru_stime) - (self.c0.ru_utime + self.c0.ru_stime)
        client += sum(proc_cpu_seconds(p) for p in self.other_clients) - self.x0
        server = s1 - self.s0
        database = 0.0
        if self.database_pids_fn:
            # Per process: a backend that started meanwhile counts from zero.
            database = sum(proc_cpu_seconds(p) - self.d0.get(p, 0.0)
                           for p in self.database_pids_fn())
        result = {
            "server_cpu_pct": round(100 * server / wall, 1),
            "client_cpu_pct": round(100 * client / wall, 1),
            "other_cpu_pct": round(max(0.0, 100 * (busy - server - client - database) / wall), 1),
            "steal_pct": round(100 * steal / wall, 1),
        }
        if self.database_pids_fn:
            result["database_cpu_pct"] = round(100 * database / wall, 1)
        return result


# --------------------------------------------------------------------------------------------
# Setup: wrk, the venv, the build.


def log(message: str) -> None:
    print(message, flush=True)


def ensure_tools() -> None:
    if shutil.which("taskset") is None:
        sys.exit("error: `taskset` (util-linux) is needed")
    if shutil.which("wrk") is None:
        log("wrk is missing: installing the Debian package `wrk` ...")
        if shutil.which("apt-get") and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, timeout=600)
        if shutil.which("wrk") is None:
            sys.exit("error: wrk is needed: `apt-get install wrk`")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def ensure_venv() -> bool:
    """bench/.venv with FastAPI and uvicorn, reinstalled when requirements.txt changes."""
    requirements = BENCH / "fastapi" / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    if (VENV / "bin" / "uvicorn").exists() and stamp.exists() and stamp.read_text() == digest:
        return True
    log("setting up bench/.venv (FastAPI, uvicorn) ...")
    try:
        if not (VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
             "-r", str(requirements)],
            check=True, timeout=900,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        log(f"WARNING: could not set up the FastAPI venv ({error}); FastAPI is left out")
        return False
    stamp.write_text(digest)
    return True


def build(profile: str, manifest: Path = BENCH / "Cargo.toml",
          packages: tuple[str, ...] = ()) -> None:
    """Builds the bench workspace's servers (or `packages` of the workspace of `manifest`).
    The todo mode's axum server (sqlx, argon2, jsonwebtoken) is built by that mode only, so
    that the smoke check's build (the test suite's) does not grow by it."""
    cmd = ["cargo", "build", "--manifest-path", str(manifest)]
    for package in packages:
        cmd += ["-p", package]
    if not packages:
        cmd += ["--workspace", "--exclude", "bench-todo-axum"]
    if profile == "release":
        cmd.append("--release")
    log(f"building the Rust servers ({profile}): {' '.join(cmd)}")
    started = time.monotonic()
    result = subprocess.run(cmd, timeout=3600)
    if result.returncode != 0:
        sys.exit("error: the Rust servers did not build")
    log(f"built in {time.monotonic() - started:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Servers


class Server:
    def __init__(self, name: str, profile: str, log_dir: Path, pin: bool = True,
                 extra_args: tuple[str, ...] = (), env: dict | None = None,
                 tls: tuple[Path, Path] | None = None, spec: dict | None = None):
        self.name = name
        # With `tls` (certificate, key), a Rust server serves HTTPS only; the checks' client
        # trusts that certificate and asks for HTTP/1.1 by ALPN.
        self.tls = tls
        self.client_tls = certs.client_context(tls[0], ["http/1.1"]) if tls else None
        self.env = env or {}
        # A spec of its own: a server of another mode (the todo mode's), with its `command`.
        self.spec = spec if spec is not None else SERVERS[name]
        self.profile = profile
        self.log_path = log_dir / (f"{name}-tls.log" if tls else f"{name}.log")
        self.pin = pin
        self.extra_args = extra_args
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        if "command" in self.spec:
            return self.spec["command"](self)
        if self.spec["kind"] == "rust":
            binary = TARGET / self.profile / self.spec["binary"]
            tls_args = certs.server_args(self.tls) if self.tls else []
            return [str(binary), "--bind", f"{HOST}:{self.port}", *tls_args]
        return [
            str(VENV / "bin" / "uvicorn"), "app:app", "--app-dir", str(BENCH / "fastapi"),
            "--host", HOST, "--port", str(self.port), "--workers", str(self.spec["workers"]),
            "--log-level", "warning", "--no-access-log", "--backlog", "4096",
            *self.extra_args,
        ]

    def start(self) -> None:
        self.port = free_port()
        cmd = self.command()
        if self.pin:
            cmd = ["taskset", "-c", SERVER_CORE, *cmd]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logfile = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", BENCH_STATIC_DIR=str(STATIC_DIR), **self.env)
        self.proc = popen(cmd, stdout=logfile, stderr=subprocess.STDOUT, cwd=str(BENCH), env=env)
        logfile.close()
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log_path}:\n"
                                   + self.log_tail())
            try:
                status, _, _ = request(self.port, "GET", self.spec.get("ready_path", "/hello/ready"),
                                       timeout=1.0, tls=self.client_tls)
                if status == self.spec.get("ready_status", 200):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer within 60 s; see {self.log_path}")
            time.sleep(0.1)
        workers = self.spec.get("workers", 1)
        if workers > 1:
            # Wait for every worker process to be up, then let them settle.
            deadline = time.monotonic() + 30
            while len(self.pids()) < workers + 1 and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        return descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def reset_peak(self) -> None:
        # Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
            except OSError:
                pass

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM in kB, summed over the server's processes."""
        total = {"VmRSS": 0, "VmHWM": 0}
        for pid in self.pids():
            for key, value in read_status(pid).items():
                total[key] += value
        return total

    def open_fds(self) -> int:
        count = 0
        for pid in self.pids():
            try:
                count += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                pass
        return count

    def stop(self) -> None:
        if self.proc is not None:
            forget(self.proc)
            self.proc = None


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 10.0,
            tls: ssl.SSLContext | None = None):
    """One request on a new connection (over HTTPS with `tls`): status, headers, body."""
    conn = (http.client.HTTPSConnection(HOST, port, timeout=timeout, context=tls) if tls
            else http.client.HTTPConnection(HOST, port, timeout=timeout))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------
# Correctness checks (smoke mode, and before any measurement)


def checks_for(name: str) -> list[tuple]:
    """(label, method, path, body, content type, expected status, expected JSON or a check)."""
    spec = SERVERS[name]
    ct = "application/json"

    def items(first, count):
        return [{"id": i, "name": f"item {i}"} for i in range(first, first + count)]

    def created(name_):
        def check(value):
            ok = (isinstance(value, dict) and set(value) == {"id", "name", "price"}
                  and isinstance(value["id"], int) and value["id"] >= 1
                  and value["name"] == name_ and value["price"] == 1.5)
            return ok, '{"id":N>=1,"name":%s,"price":1.5}' % json.dumps(name_)
        return check

    checks = [
        ("async hello", "GET", "/hello/Ada", None, None, 200, {"message": "Hello, Ada!"}),
        ("sync hello", "GET", "/sync/hello/Ada", None, None, 200, {"message": "Hello, Ada!"}),
        ("item 7", "GET", "/items/7", None, None, 200, {"id": 7, "name": "item 7"}),
        ("item 0 is 404", "GET", "/items/0", None, None, 404, None),
        ("item x is 422", "GET", "/items/x", None, None, 422, None),
        ("item -1 is 422", "GET", "/items/-1", None, None, 422, None),
        ("list, defaults", "GET", "/items", None, None, 200, items(1, 10)),
        ("list, limit 2 offset 5", "GET", "/items?limit=2&offset=5", None, None, 200, items(6, 2)),
        ("list, limit 100", "GET", "/items?limit=100", None, None, 200, items(1, 100)),
        ("list, limit 0 is 422", "GET", "/items?limit=0", None, None, 422, None),
        ("list, limit 101 is 422", "GET", "/items?limit=101", None, None, 422, None),
        ("list, limit abc is 422", "GET", "/items?limit=abc", None, None, 422, None),
        ("list, offset -1 is 422", "GET", "/items?offset=-1", None, None, 422, None),
        ("create", "POST", "/items", b'{"name":"pen","price":1.5}', ct, 201, created("pen")),
        ("create, 50 chars", "POST", "/items",
         json.dumps({"name": "é" * 50, "price": 1.5}).encode(), ct, 201, created("é" * 50)),
        ("create, empty name is 422", "POST", "/items", b'{"name":"","price":1}', ct, 422, None),
        ("create, 51 chars is 422", "POST", "/items",
         json.dumps({"name": "x" * 51, "price": 1}).encode(), ct, 422, None),
        ("create, price -1 is 422", "POST", "/items", b'{"name":"a","price":-1}', ct, 422, None),
        ("create, no price is 422", "POST", "/items", b'{"name":"a"}', ct, 422, None),
        ("create, malformed JSON is 400", "POST", "/items", b'{"name":', ct, 400, None),
        ("io", "GET", "/io", None, None, 200, {"ok": True}),
        ("unknown path is 404", "GET", "/nowhere/at/all", None, None, 404, None),
    ]
    if spec["strict_media_type"]:
        checks.append(("create, text/plain is 415", "POST", "/items",
                       b'{"name":"a","price":1}', "text/plain", 415, None))
    for kind, path in spec["work"].items():
        checks.append((f"slow route {kind}", "GET", path, None, None, 200, {"ok": True}))
    return checks


def run_checks(server: Server) -> tuple[int, list[str]]:
    """Returns how many checks passed and the failures, one line each; prints every failure."""
    failures = []
    passed = 0
    for label, method, path, body, ctype, status, expected in checks_for(server.name):
        headers = {"Content-Type": ctype} if ctype else {}
        started = time.monotonic()
        try:
            got_status, got_headers, data = request(server.port, method, path, body, headers,
                                                    tls=server.client_tls)
        except OSError as error:
            failures.append(f"{server.name}: {label}: {method} {path}: no answer ({error})")
            log(f"  FAIL {server.name:<11} {label}: no answer ({error})")
            continue
        elapsed = time.monotonic() - started
        problem = None
        if got_status != status:
            problem = f"status {got_status}, expected {status}; body {data[:200]!r}"
        elif expected is not None:
            try:
                value = json.loads(data)
            except ValueError:
                value = None
            if callable(expected):
                ok, shown = expected(value)
            else:
                ok, shown = value == expected, json.dumps(expected)[:200]
            if not ok:
                problem = f"body {data[:200]!r}, expected {shown}"
            elif "json" not in got_headers.get("content-type", ""):
                problem = f"content-type {got_headers.get('content-type')!r}, expected JSON"
        if problem is None and path == "/io" and elapsed < 0.009:
            problem = f"answered in {elapsed * 1000:.1f} ms, expected a 10 ms sleep"
        if problem is None and label == "sync hello":
            thread = got_headers.get("x-thread")
            prefix = server.spec["x_thread"]
            if thread is None:
                problem = "no x-thread header"
            elif prefix and not thread.startswith(prefix):
                problem = f"x-thread {thread!r}: expected the blocking pool ({prefix}...)"
        if problem:
            failures.append(f"{server.name}: {label}: {method} {path}: {problem}")
            log(f"  FAIL {server.name:<11} {label}: {problem}")
        else:
            passed += 1
    log(f"  {server.name:<11} {passed} passed, {len(failures)} failed"
        + (" (over TLS)" if server.tls else ""))
    return passed, failures


def tls_checks(name: str, profile: str, log_dir: Path) -> tuple[int, list[str]]:
    """The same checks over HTTPS (HTTP/1.1 by ALPN), and that a client offering HTTP/2 gets
    it by ALPN, on the server started with the bench certificate."""
    files = certs.tls_files()
    server = Server(name, profile, log_dir, pin=False, tls=files)
    try:
        server.start()
        passed, failures = run_checks(server)
        failures = [f"{line} (over TLS)" for line in failures]
        context = certs.client_context(files[0], ["h2", "http/1.1"])
        try:
            with socket.create_connection((HOST, server.port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=HOST) as conn:
                    alpn = conn.selected_alpn_protocol()
        except OSError as error:
            alpn = f"no handshake ({error})"
        if alpn == "h2":
            passed += 1
        else:
            failures.append(f"{name}: ALPN offering h2 and http/1.1 chose {alpn!r}, expected h2")
            log(f"  FAIL {name:<11} ALPN chose {alpn!r}, expected h2")
    finally:
        server.stop()
    return passed, failures


# --------------------------------------------------------------------------------------------
# wrk


def wrk_cmd(url: str, connections: int, duration: int, script: str, timeout: int) -> list[str]:
    return [
        "taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
        "--latency", "--timeout", f"{timeout}s", "-s", str(WRK_DIR / script), url,
    ]


def parse_wrk(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            raw = json.loads(line[len("BENCH_RESULT "):])
            seconds = raw["duration_us"] / 1e6
            return {
                "rps": round(raw["requests"] / seconds, 1),
                "requests": raw["requests"],
                "p50_ms": raw["p50_us"] / 1000,
                "p90_ms": raw["p90_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "p999_ms": raw["p999_us"] / 1000,
                "max_ms": raw["max_us"] / 1000,
                "mean_ms": round(raw["mean_us"] / 1000, 3),
                "errors": raw["errors"],
            }
    raise RuntimeError("wrk printed no result:\n" + output[-2000:])


def run_wrk(url: str, connections: int, duration: int, script: str = "report.lua",
            timeout: int = 10, env: dict | None = None) -> dict:
    """`env`: variables for the script (the todo mode's token and ids)."""
    cmd = wrk_cmd(url, connections, duration, script, timeout)
    proc = popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                 env=dict(os.environ, **env) if env else None)
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    except subprocess.TimeoutExpired:
        forget(proc)
        raise RuntimeError(f"wrk did not finish: {' '.join(cmd)}")
    forget(proc)
    return parse_wrk(out)


# --------------------------------------------------------------------------------------------
# Statistics


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(samples: list[dict]) -> dict:
    out = {"runs": len(samples)}
    keys = [k for k, v in samples[0].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "attempt"]
    for key in keys:
        out[key] = median([s.get(key) for s in samples])
    out["noisy_runs"] = sum(1 for s in samples if s.get("noisy"))
    out["retries"] = sum(s.get("attempt", 1) - 1 for s in samples)
    rps = [s["rps"] for s in samples if "rps" in s]
    if rps and median(rps):
        out["rps_spread_pct"] = round(100 * (max(rps) - min(rps)) / median(rps), 1)
    errors: dict[str, int] = {}
    for s in samples:
        for k, v in s.get("errors", {}).items():
            errors[k] = errors.get(k, 0) + v
    if errors:
        out["errors"] = errors
    out["samples"] = samples
    return out


def value_range(samples: list[dict], key: str) -> list | None:
    """The smallest and largest of one figure over the runs: its spread."""
    values = [s[key] for s in samples if s.get(key) is not None]
    return [min(values), max(values)] if values else None


def summarize_parts(samples: dict[str, dict[str, list[dict]]],
                    ranged: tuple[str, ...]) -> dict:
    """samples[server][part] summarized, with the range over the runs of each `ranged` figure."""
    results = {}
    for name, parts in samples.items():
        results[name] = {}
        for part, runs in parts.items():
            summary = summarize(runs)
            for key in ranged:
                spread = value_range(runs, key)
                if spread:
                    summary[f"{key}_range"] = spread
            results[name][part] = summary
    return results


def ratio(value, base):
    if value is None or not base:
        return None
    return round(value / base, 3)


# --------------------------------------------------------------------------------------------
# Machine


def machine_info() -> dict:
    info: dict = {}
    cpuinfo = Path("/proc/cpuinfo").read_text()
    for key, name in (("model name", "cpu_model"), ("cpu family", "cpu_family"),
                      ("model", "cpu_model_number"), ("cpu MHz", "cpu_mhz")):
        m = re.search(rf"^{key}\s*:\s*(.+)$", cpuinfo, re.M)
        if m:
            info[name] = m.group(1).strip()
    info["cores"] = os.cpu_count()
    info["kernel"] = platform.release()
    info["arch"] = platform.machine()
    meminfo = Path("/proc/meminfo").read_text()
    m = re.search(r"MemTotal:\s*(\d+)", meminfo)
    info["memory_gib"] = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        m = re.search(r"Hypervisor vendor:\s*(.+)", lscpu)
        if m:
            info["hypervisor"] = m.group(1).strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    info["loadavg_start"] = Path("/proc/loadavg").read_text().split()[:3]

    def version(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return None

    info["rustc"] = version(["rustc", "--version"])
    info["wrk"] = version(["wrk", "--version"])
    info["python"] = platform.python_version()
    if (VENV / "bin" / "python").exists():
        out = version([str(VENV / "bin" / "python"), "-c",
                       "import importlib.metadata as m; print(' '.join(p + '=' + m.version(p) "
                       "for p in ('fastapi','uvicorn','pydantic','starlette','uvloop','httptools',"
                       "'sqlalchemy','asyncpg','pyjwt','argon2-cffi')))"])
        info["python_packages"] = out
    lock = BENCH / "Cargo.lock"
    if lock.exists():
        text = lock.read_text()
        crates = {}
        for name in ("hyper", "hyper-util", "tokio", "axum", "actix-web", "actix-http",
                     "serde_json", "matchit", "sqlx"):
            found = re.findall(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', text)
            if found:
                crates[name] = ", ".join(found)
        info["crates"] = crates
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "runtime", "macros", "openapi"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        info["oxapi_commit"] = head + (" (runtime/macros with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def wait_quiet(max_wait: float, threshold: float = 25.0) -> float:
    """Waits (up to max_wait seconds) until the machine is nearly idle; returns the last
    reading (% of one core busy, summed over both cores)."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_pct(2.0)
        if busy <= threshold:
            return busy
        if time.monotonic() >= deadline:
            log(f"  WARNING: the machine is busy ({busy:.0f}% of a core used by others): "
                "results will be noisy")
            return busy
        log(f"  the machine is busy ({busy:.0f}% of a core); waiting for it to calm down ...")
        time.sleep(3.0)


class Quiet:
    """Waiting for a quiet machine, within a total budget of seconds per mode, and deciding
    whether a measurement was too noisy to keep."""

    def __init__(self, args):
        self.max_wait = args.wait_quiet
        self.budget = args.wait_budget
        self.max_other = args.max_other
        self.retries = args.retries

    def wait(self) -> None:
        if self.budget <= 0 or self.max_wait <= 0:
            return
        started = time.monotonic()
        wait_quiet(min(self.max_wait, self.budget))
        self.budget -= time.monotonic() - started

    def noisy(self, result: dict, attempt: int) -> bool:
        """True: measure again (after waiting). Marks the result."""
        other = result.get("other_cpu_pct", 0.0)
        result["attempt"] = attempt + 1
        result["noisy"] = other > self.max_other
        if result["noisy"] and attempt < self.retries and self.budget > 0:
            log(f"    (noisy: other processes used {other:.0f}% of a core; measuring again "
                "once the machine is quiet)")
            self.wait()
            return True
        return False


# --------------------------------------------------------------------------------------------
# Modes


def start_checked(name: str, profile: str, log_dir: Path, check: bool, pin: bool = True,
                  extra_args: tuple[str, ...] = (), env: dict | None = None) -> Server:
    server = Server(name, profile, log_dir, pin=pin, extra_args=extra_args, env=env)
    server.start()
    if check:
        _, failures = run_checks(server)
        if failures:
            server.stop()
            raise RuntimeError(f"{name} answers wrongly; not measuring it:\n" + "\n".join(failures))
    return server


def mode_smoke(args) -> int:
    profile = "release" if args.release else "debug"
    if not args.no_build:
        build(profile)
    names = [n for n in LOAD_SERVERS if n in args.servers]
    failures: list[str] = []
    if any(SERVERS[n]["kind"] == "python" for n in names) and not ensure_venv():
        names = [n for n in names if SERVERS[n]["kind"] != "python"]
        failures.append("fastapi: the venv could not be set up (pip install failed)")
    log_dir = LOGS / f"smoke-{stamp()}"
    passed = 0
    for name in names:
        log(f"checking {name} ({SERVERS[name]['label']})")
        server = Server(name, profile, log_dir, pin=False)
        try:
            server.start()
            ok, failed = run_checks(server)
            passed += ok
            failures += failed
            if server.spec.get("realtime"):
                ok, failed = realtime_checks(server, profile, log_dir)
                passed += ok
                failures += failed
            if server.spec.get("files"):
                ok, failed = files_checks(server)
                passed += ok
                failures += failed
            if server.spec.get("tls"):
                ok, failed = tls_checks(name, profile, log_dir)
                passed += ok
                failures += failed
        except RuntimeError as error:
            failures.append(f"{name}: did not start: {error}")
            log(f"  FAIL {name}: did not start: {error}")
        finally:
            server.stop()
    log("")
    if failures:
        log("FAILED checks:")
        for line in failures:
            log(f"  {line}")
    log(f"smoke: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


def mode_load(args) -> dict:
    names = [n for n in LOAD_SERVERS if n in args.servers]
    endpoints = [e for e in ENDPOINTS if e[0] in args.endpoints]
    log_dir = LOGS / f"load-{stamp()}"
    started = now()
    log(f"load: servers {', '.join(names)}; {args.runs} run(s) x {args.duration} s "
        f"(+{args.warmup} s warm-up) per server and endpoint")
    samples: dict[str, dict[str, list]] = {n: {e[0]: [] for e in endpoints} for n in names}
    quiet = Quiet(args)
    for rep in range(args.runs):
        log(f"run {rep + 1}/{args.runs}")
        quiet.wait()
        servers = {}
        try:
            for name in names:
                servers[name] = start_checked(name, "release", log_dir, check=(rep == 0))
            # Interleaved: every endpoint goes through all servers before the next endpoint,
            # and the servers' order rotates from run to run.
            order = rotation(names, rep)
            for key, label, path, script, conn_key in endpoints:
                connections = getattr(args, conn_key)
                for name in order:
                    server = servers[name]
                    url = server.base + path
                    result = measure_wrk(server, url, connections, script, args, quiet)
                    if not server.alive():
                        raise RuntimeError(f"{name} died during {label}; see {server.log_path}")
                    samples[name][key].append(result)
                    errs = sum(result["errors"].values())
                    log(f"  {label:<26} {name:<11} {result['rps']:>10.0f} req/s  "
                        f"p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:8.2f} ms  "
                        f"peak RSS {result['peak_rss_kb'] / 1024:6.1f} MiB  "
                        f"server {result['server_cpu_pct']:3.0f}%  wrk {result['client_cpu_pct']:3.0f}%  other {result['other_cpu_pct']:3.0f}%"
                        + (f"  ERRORS {result['errors']}" if errs else ""))
        finally:
            for server in servers.values():
                server.stop()
    results = {}
    for key, label, path, script, conn_key in endpoints:
        per = {n: summarize(samples[n][key]) for n in names}
        results[key] = {"label": label, "path": path,
                        "connections": getattr(args, conn_key), "servers": per}
    add_load_ratios(results)
    return {
        "started": started, "finished": now(),
        "config": {"runs": args.runs, "duration_s": args.duration, "warmup_s": args.warmup,
                   "connections": args.connections, "io_connections": args.io_connections,
                   "wrk": "wrk -t1 --latency, pinned to core 1", "server_core": 0,
                   "servers": {n: SERVERS[n]["label"] + ": " + SERVERS[n]["note"] for n in names}},
        "results": results,
    }


def measure_wrk(server: Server, url: str, connections: int, script: str, args, quiet: "Quiet",
                env: dict | None = None, before=None, database_pids_fn=None) -> dict:
    """One wrk measurement of `server` after a warm-up, taken again while the machine was
    noisy: req/s, latency, and the server's peak RSS and CPU time per request. `before` runs
    before the warm-up and again before the measurement (the todo mode's reseed); the CPU of
    `database_pids_fn`'s processes is reported as the database's."""
    for attempt in range(args.retries + 1):
        if args.warmup:
            if before:
                before()
            run_wrk(url, connections, args.warmup, script, env=env)
        if before:
            before()
        server.reset_peak()
        noise = Noise(server.pids, database_pids_fn=database_pids_fn)
        result = run_wrk(url, connections, args.duration, script, env=env)
        result.update(noise.finish())
        mem = server.memory()
        result["peak_rss_kb"] = mem["VmHWM"]
        result["rss_kb"] = mem["VmRSS"]
        result["server_us_per_req"] = us_per_request(result)
        if database_pids_fn:
            result["database_us_per_req"] = us_per_request(result, "database_cpu_pct")
        if not quiet.noisy(result, attempt):
            return result
    return result


def us_per_request(result: dict, cpu_key: str = "server_cpu_pct") -> float | None:
    """The server's CPU time per request, in microseconds: what a request costs the server,
    whether or not the load generator was the bottleneck (or the database's, by `cpu_key`)."""
    if not result.get("rps") or cpu_key not in result:
        return None
    return round(result[cpu_key] * 1e4 / result["rps"], 3)


def add_load_ratios(results: dict) -> None:
    for r in results.values():
        per = r["servers"]
        for s in per.values():
            for sample in s["samples"]:
                sample.setdefault("server_us_per_req", us_per_request(sample))
            s["server_us_per_req"] = median([x["server_us_per_req"] for x in s["samples"]])
        base = per.get("hyper")
        if not base:
            continue
        for s in per.values():
            s["ratio"] = {
                "rps": ratio(s["rps"], base["rps"]),
                "p50": ratio(s["p50_ms"], base["p50_ms"]),
                "p99": ratio(s["p99_ms"], base["p99_ms"]),
                "peak_rss": ratio(s["peak_rss_kb"], base["peak_rss_kb"]),
                "cpu_per_req": ratio(s["server_us_per_req"], base["server_us_per_req"]),
            }


def mode_isolation(args) -> dict:
    variants = [v for v in ISOLATION if v[0] in args.variants]
    variants = [v for v in variants if v[1] in args.servers]
    log_dir = LOGS / f"isolation-{stamp()}"
    started = now()
    kinds = ["cpu", "sleep"]
    log(f"isolation: {', '.join(v[0] for v in variants)}; {args.runs} run(s); fast route "
        f"{FAST_PATH} with {args.fast_connections} connections, slow route with "
        f"{args.slow_connections} connections, {args.duration} s each")
    samples = {v[0]: {"baseline": [], **{k: [] for k in kinds}} for v in variants}
    slow_samples = {v[0]: {k: [] for k in kinds} for v in variants}
    quiet = Quiet(args)
    for rep in range(args.runs):
        log(f"run {rep + 1}/{args.runs}")
        quiet.wait()
        order = variants[rep % len(variants):] + variants[:rep % len(variants)]
        for key, server_name, label, paths, *rest in order:
            env = rest[0] if rest else None
            server = start_checked(server_name, "release", log_dir, check=(rep == 0), env=env)
            try:
                fast_url = server.base + FAST_PATH
                if args.warmup:
                    run_wrk(fast_url, args.fast_connections, args.warmup)
                for attempt in range(args.retries + 1):
                    noise = Noise(server.pids)
                    base = run_wrk(fast_url, args.fast_connections, args.duration)
                    base.update(noise.finish())
                    if not quiet.noisy(base, attempt):
                        break
                samples[key]["baseline"].append(base)
                log(f"  {label:<36} no slow traffic   {base['rps']:>9.0f} req/s  "
                    f"p50 {base['p50_ms']:8.2f} ms  p99 {base['p99_ms']:8.2f} ms")
                for kind in kinds:
                    for attempt in range(args.retries + 1):
                        fast, slow_result = measure_under_slow(
                            server, fast_url, server.base + paths[kind], args)
                        retry = quiet.noisy(fast, attempt)
                        time.sleep(2.0)  # let abandoned slow requests drain
                        if not retry:
                            break
                    samples[key][kind].append(fast)
                    slow_samples[key][kind].append(slow_result)
                    log(f"  {label:<36} slow {kind:<5}        {fast['rps']:>9.0f} req/s  "
                        f"p50 {fast['p50_ms']:8.2f} ms  p99 {fast['p99_ms']:8.2f} ms   "
                        f"(slow route: {slow_result['rps']:.1f} req/s, p50 "
                        f"{slow_result['p50_ms']:.1f} ms, p99 {slow_result['p99_ms']:.0f} ms)")
                    if not server.alive():
                        raise RuntimeError(f"{server_name} died; see {server.log_path}")
            finally:
                server.stop()
    results = {}
    for key, server_name, label, paths, *_ in variants:
        base = summarize(samples[key]["baseline"])
        entry = {"label": label, "server": server_name, "baseline": base, "under_slow": {}}
        for kind in kinds:
            fast = summarize(samples[key][kind])
            slow = summarize(slow_samples[key][kind])
            entry["under_slow"][kind] = {
                "slow_path": paths[kind],
                "fast": fast,
                "slow": slow,
                "p99_ratio_to_own_baseline": ratio(fast["p99_ms"], base["p99_ms"]),
                "p50_ratio_to_own_baseline": ratio(fast["p50_ms"], base["p50_ms"]),
                "rps_ratio_to_own_baseline": ratio(fast["rps"], base["rps"]),
                "fast_p99_range_ms": value_range(samples[key][kind], "p99_ms"),
                "slow_done_per_duration": round(slow["rps"] * args.duration),
                "slow_p50_range_ms": value_range(slow_samples[key][kind], "p50_ms"),
            }
        entry["baseline_p99_range_ms"] = value_range(samples[key]["baseline"], "p99_ms")
        results[key] = entry
    return {
        "started": started, "finished": now(),
        "config": {"runs": args.runs, "duration_s": args.duration,
                   "fast_path": FAST_PATH, "fast_connections": args.fast_connections,
                   "slow_connections": args.slow_connections, "work": "50 ms per request: "
                   "cpu = busy loop until the thread used 50 ms of CPU time; sleep = blocking "
                   "thread sleep", "server_core": 0, "client_core": 1},
        "results": results,
    }


def measure_under_slow(server: Server, fast_url: str, slow_url: str, args) -> tuple[dict, dict]:
    """The fast route's figures while a second wrk keeps the slow route busy."""
    slow_duration = args.duration + 4
    slow_cmd = wrk_cmd(slow_url, args.slow_connections, slow_duration, "report.lua", 60)
    slow = popen(slow_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2.0)  # the slow route's load reaches its steady state
        noise = Noise(server.pids, other_clients=(slow.pid,))
        fast = run_wrk(fast_url, args.fast_connections, args.duration, timeout=30)
        fast.update(noise.finish())  # client CPU: both wrk
        out, _ = slow.communicate(timeout=slow_duration + 90)
    finally:
        forget(slow)
    return fast, parse_wrk(out)


def rotation(names: list[str], rep: int) -> list[str]:
    """The servers' order in run `rep`: rotated from run to run, so drift hits all alike."""
    return names[rep % len(names):] + names[:rep % len(names)]


def idle_server_args(name: str) -> tuple[str, ...]:
    """uvicorn closes idle connections after 5 s; so does actix (raised to 300 s in its
    server), oxapi after 75 s, which the reading comes well before (checked: every socket is
    still open); raw hyper and axum never do."""
    return ("--timeout-keep-alive", "3600") if SERVERS[name]["kind"] == "python" else ()


def warm_up(server: Server) -> None:
    """The same warm-up for all before a memory reading: a few requests, then a pause."""
    for _ in range(20):
        request(server.port, "GET", "/hello/warm")
    time.sleep(1.0)


def mode_idle(args) -> dict:
    names = [n for n in IDLE_SERVERS if n in args.servers]
    log_dir = LOGS / f"idle-{stamp()}"
    started = now()
    n = args.idle_connections
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < n + 200:
        raise RuntimeError(f"the open-file limit ({hard}) is too low for {n} connections")
    log(f"idle: {', '.join(names)}; {n} idle keep-alive connections; {args.idle_runs} run(s)")
    samples = {name: [] for name in names}
    quiet = Quiet(args)
    for rep in range(args.idle_runs):
        log(f"run {rep + 1}/{args.idle_runs}")
        quiet.wait()
        for name in rotation(names, rep):
            extra = idle_server_args(name)
            server = start_checked(name, "release", log_dir, check=(rep == 0), extra_args=extra)
            try:
                warm_up(server)
                before = server.memory()
                fds_before = server.open_fds()
                client = popen(
                    ["taskset", "-c", CLIENT_CORE, sys.executable,
                     str(BENCH / "tools" / "idle_client.py"), HOST, str(server.port), str(n),
                     "--hold-max", "300"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                )
                try:
                    line = read_line(client, timeout=180)
                    m = re.match(r"READY ok=(\d+) failed=(\d+) seconds=([\d.]+)", line or "")
                    if not m:
                        raise RuntimeError(f"idle client: unexpected output {line!r}")
                    ok, failed, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
                    time.sleep(2.0)
                    held = server.memory()
                    fds_held = server.open_fds()
                    # oxapi closes keep-alive connections idle for 75 s: a reading taken after
                    # some were closed would count fewer than were opened.
                    if fds_held - fds_before < ok:
                        raise RuntimeError(
                            f"{name} holds {fds_held - fds_before} sockets for {ok} connections "
                            f"at the reading ({seconds:.0f} s to open them): it closed some")
                    client.stdin.write("close\n")
                    client.stdin.flush()
                    read_line(client, timeout=60)
                finally:
                    forget(client)
                time.sleep(2.0)
                after = server.memory()
                if not server.alive():
                    raise RuntimeError(f"{name} died; see {server.log_path}")
            finally:
                server.stop()
            per_conn = (held["VmRSS"] - before["VmRSS"]) * 1024 / ok if ok else None
            result = {
                "connections_ok": ok, "connections_failed": failed, "open_seconds": seconds,
                "rss_before_kb": before["VmRSS"], "rss_with_connections_kb": held["VmRSS"],
                "rss_after_close_kb": after["VmRSS"], "peak_rss_kb": after["VmHWM"],
                "open_fds_with_connections": fds_held - fds_before,
                "bytes_per_connection": round(per_conn) if per_conn is not None else None,
            }
            samples[name].append(result)
            log(f"  {name:<11} {ok} held ({failed} failed, fds +{fds_held - fds_before}): "
                f"RSS {before['VmRSS'] / 1024:.1f} → {held['VmRSS'] / 1024:.1f} MiB "
                f"({per_conn or 0:,.0f} B per connection); after closing "
                f"{after['VmRSS'] / 1024:.1f} MiB")
    results = {name: summarize(s) for name, s in samples.items()}
    base = results.get("hyper")
    for s in results.values():
        if base:
            s["ratio"] = {"bytes_per_connection": ratio(s["bytes_per_connection"],
                                                        base["bytes_per_connection"])}
    return {
        "started": started, "finished": now(),
        "config": {"connections": n, "runs": args.idle_runs,
                   "client": "tools/idle_client.py (asyncio), core 1: one GET each, then idle",
                   "bytes_per_connection": "(VmRSS with the connections - VmRSS before) / "
                                           "connections held"},
        "results": results,
    }


# --------------------------------------------------------------------------------------------
# Realtime: WebSocket echo, SSE fan-out, idle WebSockets and SSE subscribers


class RealtimeClient:
    """`client/` (bench-realtime) on the client's core, spoken to over its stdin and stdout."""

    def __init__(self, profile: str, server: Server, mode: str, n: int, extra=None,
                 log_dir: Path | None = None, pin: bool = True):
        cmd = [str(TARGET / profile / REALTIME_CLIENT), mode, f"{HOST}:{server.port}", str(n)]
        if extra is not None:
            cmd.append(str(extra))
        if pin:
            cmd = ["taskset", "-c", CLIENT_CORE, *cmd]
        self.label = f"{REALTIME_CLIENT} {mode} against {server.name}"
        self.log_path = (log_dir or LOGS) / f"client-{server.name}-{mode}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as stderr:
            self.proc = popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=stderr, text=True)

    def expect(self, word: str, timeout: float) -> dict:
        """Reads the client's next line, which must start with `word`; returns its key=value
        pairs as numbers."""
        line = read_line(self.proc, timeout) or ""
        if not line.startswith(word):
            tail = ""
            try:
                tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-10:])
            except OSError:
                pass
            raise RuntimeError(f"{self.label}: expected {word}, got {line!r}\n{tail}")
        return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        forget(self.proc)


def server_cpu(server: Server) -> float:
    return sum(proc_cpu_seconds(p) for p in server.pids())


def measure_realtime(server: Server, mode: str, n: int, extra: int, timeout: float,
                     log_dir: Path, profile: str) -> tuple[dict, dict]:
    """Runs one measuring mode of the client: the server's CPU seconds and the noise between
    the client's READY (connections open) and its DONE, and the client's DONE figures."""
    client = RealtimeClient(profile, server, mode, n, extra, log_dir, pin=(profile == "release"))
    try:
        client.expect("READY", timeout=180)
        noise = Noise(server.pids, other_clients=(client.proc.pid,))
        cpu0 = server_cpu(server)
        client.say("go")
        done = client.expect("DONE", timeout=timeout)
        result = {"server_cpu_s": round(server_cpu(server) - cpu0, 3), **noise.finish()}
    finally:
        client.finish()
    return result, done


def measure_ws_echo(server: Server, args, log_dir: Path, profile: str = "release") -> dict:
    result, done = measure_realtime(server, "ws-echo", args.ws_connections, args.duration,
                                    args.duration + 180, log_dir, profile)
    messages = int(done["messages"])
    if done.get("errors"):
        raise RuntimeError(f"{server.name}: {int(done['errors'])} WebSocket(s) failed during "
                           "the echo; see the client's log in " + str(log_dir))
    result.update({
        "connections": args.ws_connections, "messages": messages, "seconds": done["seconds"],
        "messages_per_s": round(messages / done["seconds"]) if done["seconds"] else None,
        "server_us_per_message":
            round(result["server_cpu_s"] * 1e6 / messages, 3) if messages else None,
    })
    return result


def measure_sse_fanout(server: Server, args, log_dir: Path, profile: str = "release") -> dict:
    result, done = measure_realtime(server, "sse", args.sse_subscribers, args.sse_events, 600,
                                    log_dir, profile)
    delivered = int(done["delivered"])
    result.update({
        "subscribers": args.sse_subscribers, "events": int(done["events"]),
        "delivered": delivered, "seconds": done["seconds"],
        "fanout_p50_ms": done["fanout_p50_ms"], "fanout_p99_ms": done["fanout_p99_ms"],
        "server_us_per_event":
            round(result["server_cpu_s"] * 1e6 / delivered, 3) if delivered else None,
    })
    return result


def measure_idle_realtime(server: Server, mode: str, n: int, log_dir: Path,
                          profile: str = "release") -> dict:
    warm_up(server)
    before = server.memory()
    client = RealtimeClient(profile, server, mode, n, None, log_dir, pin=(profile == "release"))
    try:
        ready = client.expect("READY", timeout=300)
        time.sleep(2.0)
        held = server.memory()
        client.say("close")
        client.expect("CLOSED", timeout=60)
    finally:
        client.finish()
    ok = int(ready["ok"])
    return {
        "held": ok, "failed": int(ready["failed"]),
        "rss_before_kb": before["VmRSS"], "rss_with_connections_kb": held["VmRSS"],
        "bytes_per_connection": round((held["VmRSS"] - before["VmRSS"]) * 1024 / ok) if ok else None,
    }


def realtime_checks(server: Server, profile: str, log_dir: Path) -> tuple[int, list[str]]:
    """The realtime mode's measurements, small and unpinned: every echo and every event is
    checked by the client, so each passing is a check of the server's answers too."""
    small = argparse.Namespace(ws_connections=20, duration=1, sse_subscribers=20, sse_events=5)
    checks = (("WebSocket echo", lambda: measure_ws_echo(server, small, log_dir, profile)),
              ("SSE fan-out", lambda: measure_sse_fanout(server, small, log_dir, profile)),
              ("idle WebSockets", lambda: measure_idle_realtime(server, "idle-ws", 20, log_dir,
                                                                profile)),
              ("idle SSE subscribers", lambda: measure_idle_realtime(server, "idle-sse", 20,
                                                                     log_dir, profile)))
    outcomes = []
    for label, check in checks:
        try:
            result = check()
            failed = result.get("failed")
            outcomes.append((label, f"{failed} connection(s) failed" if failed else None))
        except RuntimeError as error:
            outcomes.append((label, str(error)))
    return tally(server, "realtime", outcomes)


def tally(server: Server, kind: str, outcomes: list[tuple[str, str | None]]) -> tuple[int, list[str]]:
    """Counts a server's checks of one `kind`, each (label, what was wrong or None), logging
    every failure; returns how many passed and the failures, one line each."""
    failures = []
    for label, problem in outcomes:
        if problem is not None:
            failures.append(f"{server.name}: {label}: {problem}")
            log(f"  FAIL {server.name:<11} {label}: {problem}")
    passed = len(outcomes) - len(failures)
    log(f"  {server.name:<11} {kind}: {passed} passed, {len(failures)} failed")
    return passed, failures


def mode_realtime(args) -> dict:
    names = [n for n in REALTIME_SERVERS if n in args.servers]
    log_dir = LOGS / f"realtime-{stamp()}"
    started = now()
    log(f"realtime: {', '.join(names)}; {args.runs} run(s): WebSocket echo on "
        f"{args.ws_connections} connections for {args.duration} s, one event at a time to "
        f"{args.sse_subscribers} SSE subscribers ({args.sse_events} events), then "
        f"{args.realtime_idle} idle WebSockets and {args.realtime_idle} idle SSE subscribers")
    parts = ("ws_echo", "sse_fanout", "idle_ws", "idle_sse")
    samples = {name: {part: [] for part in parts} for name in names}
    quiet = Quiet(args)
    for rep in range(args.runs):
        log(f"run {rep + 1}/{args.runs}")
        quiet.wait()
        for name in rotation(names, rep):
            extra = idle_server_args(name)
            server = start_checked(name, "release", log_dir, check=(rep == 0), extra_args=extra)
            try:
                for part, measure in (("ws_echo", measure_ws_echo),
                                      ("sse_fanout", measure_sse_fanout)):
                    for attempt in range(args.retries + 1):
                        result = measure(server, args, log_dir)
                        if not quiet.noisy(result, attempt):
                            break
                    samples[name][part].append(result)
                ws, sse = samples[name]["ws_echo"][-1], samples[name]["sse_fanout"][-1]
                log(f"  {name:<8} WebSocket echo {ws['messages_per_s']:>8,} msg/s, "
                    f"{ws['server_us_per_message']:6.2f} µs server CPU each  |  SSE fan-out "
                    f"{sse['server_us_per_event']:6.2f} µs per delivered event, p50 "
                    f"{sse['fanout_p50_ms']:.2f} ms to reach all  "
                    f"(other {max(ws['other_cpu_pct'], sse['other_cpu_pct']):.0f}%)")
            finally:
                server.stop()
            for part, mode in (("idle_ws", "idle-ws"), ("idle_sse", "idle-sse")):
                server = start_checked(name, "release", log_dir, check=False, extra_args=extra)
                try:
                    result = measure_idle_realtime(server, mode, args.realtime_idle, log_dir)
                finally:
                    server.stop()
                samples[name][part].append(result)
                log(f"  {name:<8} {mode:<8} {result['held']} held ({result['failed']} failed): "
                    f"{result['bytes_per_connection'] or 0:,} B each")
    results = summarize_parts(samples, ("server_us_per_message", "server_us_per_event",
                                        "bytes_per_connection", "fanout_p50_ms",
                                        "messages_per_s"))
    return {
        "started": started, "finished": now(),
        "config": {"runs": args.runs, "ws_connections": args.ws_connections,
                   "ws_seconds": args.duration, "sse_subscribers": args.sse_subscribers,
                   "sse_events": args.sse_events, "idle_connections": args.realtime_idle,
                   "client": "client/ (bench-realtime: tokio-tungstenite and hyper's client, "
                             "one thread), pinned to core 1",
                   "servers": {n: SERVERS[n]["label"] for n in names}},
        "results": results,
    }


def ensure_static_files() -> None:
    """The static directory's files, the same bytes every time."""
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    for name, size in STATIC_FILES.items():
        path = STATIC_DIR / name
        content = bytes((i * 7) % 251 for i in range(size))
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)


def upload(port: int, size: int, timeout: float = 300.0) -> tuple[int, bytes, float]:
    """POSTs a multipart body with one file part of `size` zero bytes, streamed from a 1 MiB
    buffer (the client holds no more than that); returns the status, the body and the seconds
    from the first byte sent to the whole answer read."""
    head = (f"--{UPLOAD_BOUNDARY}\r\ncontent-disposition: form-data; name=\"file\"; "
            f"filename=\"upload.bin\"\r\ncontent-type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{UPLOAD_BOUNDARY}--\r\n".encode()
    block = bytes(MIB)

    def body():
        yield head
        left = size
        while left > 0:
            chunk = block if left >= MIB else block[:left]
            left -= len(chunk)
            yield chunk
        yield tail

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        started = time.monotonic()
        conn.request("POST", "/upload", body=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={UPLOAD_BOUNDARY}",
            "Content-Length": str(len(head) + size + len(tail))})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.monotonic() - started
    finally:
        conn.close()


def measure_upload(server: Server, size: int) -> dict:
    """One upload of `size` bytes: the server's peak RSS while it streams it (VmHWM, reset
    first), its RSS before, and the client-seen throughput. The client (this process) runs on
    the load generators' core."""
    server.reset_peak()
    before = server.memory()
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    try:
        noise = Noise(server.pids, other_clients=(os.getpid(),))
        status, data, seconds = upload(server.port, size)
        result = noise.finish()
    finally:
        os.sched_setaffinity(0, affinity)
    try:
        answer = json.loads(data)
    except ValueError:
        answer = None
    if status != 200 or answer != {"bytes": size}:
        raise RuntimeError(f"{server.name}: upload of {size} bytes answered {status} "
                           f"{data[:200]!r}, expected {{\"bytes\": {size}}}")
    mem = server.memory()
    result.update({
        "bytes": size, "seconds": round(seconds, 3),
        "mb_per_s": round(size / MIB / seconds, 1),
        "peak_rss_kb": mem["VmHWM"], "rss_before_kb": before["VmRSS"],
    })
    return result


def files_checks(server: Server) -> tuple[int, list[str]]:
    """The files mode's routes, checked small: an upload's count, a static file's bytes, a
    range, and traversal refused."""
    small = STATIC_DIR / "small.txt"

    def upload_counts():
        status, data, _ = upload(server.port, MIB + 3)
        return status == 200 and json.loads(data or b"null") == {"bytes": MIB + 3}, \
            f"{status} {data[:100]!r}"

    def static_bytes():
        status, _, data = request(server.port, "GET", "/static/small.txt")
        return status == 200 and data == small.read_bytes(), f"{status}, {len(data)} bytes"

    def static_range():
        status, headers, data = request(server.port, "GET", "/static/64k.bin",
                                        headers={"Range": "bytes=10-19"})
        expected = (STATIC_DIR / "64k.bin").read_bytes()[10:20]
        return (status == 206 and data == expected
                and headers.get("content-range") == f"bytes 10-19/{64 * 1024}"), \
            f"{status} {headers.get('content-range')}"

    def traversal(path):
        def check():
            status, _, _ = request(server.port, "GET", path)
            return status in (400, 404), f"{status}"
        return check

    checks = [("upload of 1 MiB + 3 B", upload_counts), ("static file", static_bytes),
              ("static range", static_range),
              ("traversal ..", traversal("/static/../run.py")),
              ("traversal %2e%2e", traversal("/static/%2e%2e/run.py")),
              ("traversal %2f", traversal("/static/..%2frun.py"))]
    outcomes = []
    for label, check in checks:
        try:
            ok, shown = check()
        except (OSError, ValueError) as error:
            ok, shown = False, f"no answer ({error})"
        outcomes.append((label, None if ok else shown))
    return tally(server, "files", outcomes)


def mode_files(args) -> dict:
    names = [n for n in FILES_SERVERS if n in args.servers]
    log_dir = LOGS / f"files-{stamp()}"
    started = now()
    size = args.upload_mib * MIB
    log(f"files: {', '.join(names)}; {args.runs} run(s): one {args.upload_mib} MiB multipart "
        f"upload (peak RSS, MiB/s), then wrk on {len(STATIC_ENDPOINTS)} static files, "
        f"{args.connections} connections, {args.duration} s each")
    parts = ["upload"] + [e[0] for e in STATIC_ENDPOINTS]
    samples = {name: {part: [] for part in parts} for name in names}
    quiet = Quiet(args)
    for rep in range(args.runs):
        log(f"run {rep + 1}/{args.runs}")
        quiet.wait()
        for name in rotation(names, rep):
            server = start_checked(name, "release", log_dir, check=(rep == 0))
            try:
                if rep == 0:
                    _, failures = files_checks(server)
                    if failures:
                        raise RuntimeError(f"{name} serves files wrongly; not measuring it:\n"
                                           + "\n".join(failures))
                for attempt in range(args.retries + 1):
                    result = measure_upload(server, size)
                    if not quiet.noisy(result, attempt):
                        break
                samples[name]["upload"].append(result)
                log(f"  upload {args.upload_mib} MiB {name:<8} {result['mb_per_s']:8.1f} MiB/s  "
                    f"peak RSS {result['peak_rss_kb'] / 1024:6.1f} MiB (before "
                    f"{result['rss_before_kb'] / 1024:.1f})  other {result['other_cpu_pct']:3.0f}%")
                for key, label, path in STATIC_ENDPOINTS:
                    url = server.base + path
                    for attempt in range(args.retries + 1):
                        if args.warmup:
                            run_wrk(url, args.connections, args.warmup)
                        server.reset_peak()
                        noise = Noise(server.pids)
                        result = run_wrk(url, args.connections, args.duration)
                        result.update(noise.finish())
                        result["peak_rss_kb"] = server.memory()["VmHWM"]
                        result["server_us_per_req"] = us_per_request(result)
                        if not quiet.noisy(result, attempt):
                            break
                    samples[name][key].append(result)
                    errs = sum(result["errors"].values())
                    log(f"  {label:<30} {name:<8} {result['rps']:>9.0f} req/s  p99 "
                        f"{result['p99_ms']:7.2f} ms  server {result['server_cpu_pct']:3.0f}%  "
                        f"other {result['other_cpu_pct']:3.0f}%"
                        + (f"  ERRORS {result['errors']}" if errs else ""))
                if not server.alive():
                    raise RuntimeError(f"{name} died; see {server.log_path}")
            finally:
                server.stop()
    results = summarize_parts(samples, ("mb_per_s", "peak_rss_kb", "rps"))
    return {
        "started": started, "finished": now(),
        "config": {"runs": args.runs, "upload_bytes": size, "duration_s": args.duration,
                   "connections": args.connections,
                   "upload": "one file part streamed by the server chunk by chunk, its bytes "
                             "counted and discarded (oxapi: Multipart; axum: its Multipart; "
                             "both multer); the client (this script) streams it from a 1 MiB "
                             "buffer on core 1",
                   "static": {e[0]: e[2] for e in STATIC_ENDPOINTS},
                   "servers": {n: SERVERS[n]["label"] for n in names}},
        "results": results,
    }


def read_line(proc: subprocess.Popen, timeout: float) -> str | None:
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                return proc.stdout.readline().strip()
            if proc.poll() is not None:
                return None
        return None
    finally:
        sel.close()


# --------------------------------------------------------------------------------------------
# The todo mode: examples/todo's API on PostgreSQL, oxapi against axum + sqlx and FastAPI.

# Every server signs and checks tokens with this key, so that a token from one is valid at all.
TODO_JWT_SECRET = "bench-todo-secret: shared by every server of the todo benchmark"
TODO_OXAPI_BINARY = ROOT / "target" / "release" / "todo"
TODO_AXUM_BINARY = TARGET / "release" / "bench-todo-axum"
TODO_FASTAPI_DIR = BENCH / "fastapi" / "todo"
# A path every server answers 401 without a token: it serves once this is answered.
TODO_READY_PATH = "/v1/lists/00000000-0000-0000-0000-000000000000/items"


def _todo_rust(binary: Path):
    def command(server: Server) -> list[str]:
        return [str(binary), "--database-url", server.env["DATABASE_URL"], "--jwt-secret",
                TODO_JWT_SECRET, "--bind", f"{HOST}:{server.port}"]
    return command


def _todo_uvicorn(workers: int):
    def command(server: Server) -> list[str]:
        return [str(VENV / "bin" / "uvicorn"), "main:app", "--app-dir", str(TODO_FASTAPI_DIR),
                "--host", HOST, "--port", str(server.port), "--workers", str(workers),
                "--log-level", "warning", "--no-access-log", "--backlog", "4096"]
    return command


TODO_SPECS = {
    "oxapi": dict(kind="rust", label="oxapi (examples/todo)", command=_todo_rust(TODO_OXAPI_BINARY),
                  note="`cargo build --release -p todo`; one tokio worker thread (App::run sizes "
                       "its runtime by the one core taskset gives it); sqlx pool of 10"),
    "axum": dict(kind="rust", label="axum 0.8 + sqlx", command=_todo_rust(TODO_AXUM_BINARY),
                 note="servers/todo-axum; one tokio worker thread; sqlx pool of 10"),
    "fastapi": dict(kind="python", workers=1, label="FastAPI + SQLAlchemy (1 worker)",
                    command=_todo_uvicorn(1),
                    note="fastapi/todo on uvicorn[standard]; SQLAlchemy 2 async + asyncpg, pool "
                         "of 10"),
    "fastapi-w2": dict(kind="python", workers=2, label="FastAPI + SQLAlchemy (2 workers)",
                       command=_todo_uvicorn(2),
                       note="uvicorn --workers 2, both on the one core 0; a pool of 10 each"),
}
for _spec in TODO_SPECS.values():
    _spec.update(ready_path=TODO_READY_PATH, ready_status=401)
TODO_SERVERS = list(TODO_SPECS)

# (key, label, wrk mode of wrk/todo.lua)
TODO_ENDPOINTS = [
    ("read_one", "GET /v1/lists/{id}/items/{item_id}", "read"),
    ("list_page", "GET /v1/lists/{id}/items?limit=20&offset=0", "list"),
    ("create", "POST /v1/lists/{id}/items", "create"),
    ("update", "PATCH /v1/lists/{id}/items/{item_id}, If-Match", "update"),
]


def todo_call(port: int):
    """The checks' client: JSON or form bodies, parsed JSON answers."""
    def call(method, path, body=None, headers=None, form=False):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            if form:
                body = urllib.parse.urlencode(body).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                body = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        status, got_headers, raw = request(port, method, path, body, headers)
        return status, got_headers, todo.json_or_none(raw), raw
    return call


def todo_token(server: Server) -> str:
    status, _, body, raw = todo_call(server.port)(
        "POST", "/v1/token", {"username": todo.USERNAME, "password": todo.PASSWORD}, form=True)
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        raise RuntimeError(f"{server.name}: no token for the seeded user: {status} {raw[:200]!r}")
    return body["access_token"]


class DatabaseCores:
    """Pins PostgreSQL's processes to the load generator's core (so that each server keeps
    core 0 to itself) and gives them their old affinity back afterwards."""

    def __init__(self, postmaster: int | None):
        self.postmaster = postmaster
        self.saved: set[int] | None = None

    def pids(self) -> list[int]:
        return descendants(self.postmaster) if self.postmaster else []

    def pin(self) -> bool:
        if not self.postmaster:
            return False
        try:
            self.saved = os.sched_getaffinity(self.postmaster)
            for pid in self.pids():
                os.sched_setaffinity(pid, {int(CLIENT_CORE)})
            return True
        except OSError as error:
            log(f"  (PostgreSQL not pinned to core {CLIENT_CORE}: {error})")
            return False

    def restore(self) -> None:
        if self.saved is None:
            return
        for pid in self.pids():
            try:
                os.sched_setaffinity(pid, self.saved)
            except OSError:
                pass


class ThrowawayPostgres:
    """A PostgreSQL started by scripts/postgres.sh for this run, stopped at the end."""

    def __init__(self):
        # Missing until the script makes it (it must be missing or empty), in the temporary
        # directory, which the cluster's user (`postgres` when run as root) can reach.
        self.dir = Path(tempfile.gettempdir()) / f"oxapi-bench-todo-postgres-{os.getpid()}"
        self.url = None

    def start(self) -> str:
        script = ROOT / "scripts" / "postgres.sh"
        result = subprocess.run(["bash", str(script), "start", str(self.dir)],
                                capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise RuntimeError(f"scripts/postgres.sh start failed:\n{result.stderr[-2000:]}")
        self.url = result.stdout.strip().splitlines()[-1]
        return self.url

    def stop(self) -> None:
        if self.url is not None:
            subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop", str(self.dir)],
                           capture_output=True, timeout=120)
            self.url = None


def todo_database_url(args, cleanup: list) -> str:
    if args.database_url:
        return args.database_url
    if (ROOT / "scripts" / "postgres.sh").exists():
        log("starting a throwaway PostgreSQL (scripts/postgres.sh) ...")
        postgres = ThrowawayPostgres()
        cleanup.append(postgres.stop)
        return postgres.start()
    sys.exit("error: the todo mode needs a PostgreSQL: --database-url postgres://... "
             "(its users, lists and items tables are emptied)")


def todo_start(name: str, url: str, log_dir: Path) -> Server:
    server = Server(name, "release", log_dir, spec=TODO_SPECS[name],
                    env={"DATABASE_URL": url, "TODO_JWT_SECRET": TODO_JWT_SECRET})
    server.log_path = log_dir / f"todo-{name}.log"
    server.start()
    return server


def todo_checks(names: list[str], url: str, db: "todo.Database", log_dir: Path) -> list[str]:
    failures = []
    for name in names:
        db.empty()
        server = todo_start(name, url, log_dir)
        try:
            passed, failed = todo.check_todo_api(todo_call(server.port))
        finally:
            server.stop()
        for line in failed:
            log(f"  FAIL {name:<11} {line}")
        log(f"  {name:<11} {passed} passed, {len(failed)} failed")
        failures += [f"{name}: {line}" for line in failed]
    return failures


def mode_todo(args) -> dict | int:
    names = [n for n in TODO_SERVERS if n in args.servers]
    endpoints = [e for e in TODO_ENDPOINTS if e[0] in args.todo_endpoints]
    if not args.no_build:
        build("release", ROOT / "Cargo.toml", ("todo",))
        build("release", BENCH / "Cargo.toml", ("bench-todo-axum",))
    if any(TODO_SPECS[n]["kind"] == "python" for n in names) and not ensure_venv():
        names = [n for n in names if TODO_SPECS[n]["kind"] != "python"]
    cleanup: list = []
    try:
        url = todo_database_url(args, cleanup)
        db = todo.Database(url)
        log_dir = LOGS / f"todo-{stamp()}"
        # oxapi's todo migrates the database at startup; the others expect its schema.
        todo_start("oxapi", url, log_dir).stop()
        log("checking every server's answers")
        failures = todo_checks(names, url, db, log_dir)
        if args.check or failures:
            log(f"todo checks: {len(failures)} failed")
            return 1 if failures else 0
        return todo_measure(args, names, endpoints, url, db, log_dir)
    finally:
        for stop in cleanup:
            stop()


def todo_measure(args, names, endpoints, url, db, log_dir) -> dict:
    # The password hash of the seeded user: made by a server's sign-up (the checks').
    db.empty()
    first = todo_start(names[0], url, log_dir)
    try:
        status, _, _, raw = todo_call(first.port)(
            "POST", "/v1/users", {"username": todo.USERNAME, "password": todo.PASSWORD})
        if status != 201:
            raise RuntimeError(f"sign-up of the bench user failed: {status} {raw[:200]!r}")
    finally:
        first.stop()
    password_hash = db.password_hash(todo.USERNAME)
    seed = todo.Seed()
    items_file = TARGET / "todo-items.txt"
    items_file.parent.mkdir(parents=True, exist_ok=True)
    items_file.write_text("".join(f"{item}\n" for item in seed.items))
    cores = DatabaseCores(db.postmaster())
    pinned = cores.pin()
    started = now()
    log(f"todo: servers {', '.join(names)}; {args.runs} run(s) x {args.duration} s "
        f"(+{args.warmup} s warm-up) per server and endpoint; database "
        f"{todo.database_url_for_display(url)}"
        + (f", PostgreSQL pinned to core {CLIENT_CORE}" if pinned else ""))
    samples = {n: {e[0]: [] for e in endpoints} for n in names}
    quiet = Quiet(args)
    base = f"/v1/lists/{seed.list}/items"
    paths = {"read": f"{base}/{seed.items[todo.READ_INDEX]}", "list": f"{base}?limit=20&offset=0",
             "create": base, "update": base}
    try:
        for rep in range(args.runs):
            log(f"run {rep + 1}/{args.runs}")
            quiet.wait()
            servers, tokens = {}, {}
            try:
                db.seed(seed, password_hash)
                for name in names:
                    servers[name] = todo_start(name, url, log_dir)
                    tokens[name] = todo_token(servers[name])
                for key, label, mode in endpoints:
                    for name in rotation(names, rep):
                        server = servers[name]
                        env = {"TODO_MODE": mode, "TODO_TOKEN": tokens[name],
                               "TODO_ITEMS": str(items_file)}
                        target = server.base + paths[mode]
                        # Every measurement starts from the seed: the warm-up's writes are
                        # undone before the measured run.
                        result = measure_wrk(
                            server, target, args.connections, "todo.lua", args, quiet, env=env,
                            before=lambda: db.seed(seed, password_hash),
                            database_pids_fn=cores.pids if cores.postmaster else None)
                        if not server.alive():
                            raise RuntimeError(f"{name} died during {label}; see {server.log_path}")
                        samples[name][key].append(result)
                        errs = sum(result["errors"].values())
                        log(f"  {label:<48} {name:<11} {result['rps']:>8.0f} req/s  "
                            f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
                            f"server {result['server_us_per_req'] or 0:7.1f} µs/req  "
                            f"PostgreSQL {result.get('database_us_per_req') or 0:6.1f} µs/req  "
                            f"wrk {result['client_cpu_pct']:3.0f}%  other {result['other_cpu_pct']:3.0f}%"
                            + (f"  ERRORS {result['errors']}" if errs else ""))
            finally:
                for server in servers.values():
                    server.stop()
    finally:
        cores.restore()
    results = {}
    for key, label, mode in endpoints:
        per = {n: summarize(samples[n][key]) for n in names}
        for s in per.values():
            s["server_us_per_req"] = median([x["server_us_per_req"] for x in s["samples"]])
            s["database_us_per_req"] = median([x.get("database_us_per_req") for x in s["samples"]])
            s["server_us_per_req_range"] = value_range(s["samples"], "server_us_per_req")
        results[key] = {"label": label, "path": paths[mode], "servers": per}
    add_todo_ratios(results)
    return {
        "started": started, "finished": now(),
        "config": {"runs": args.runs, "duration_s": args.duration, "warmup_s": args.warmup,
                   "connections": args.connections, "items": todo.ITEMS,
                   "database": todo.database_url_for_display(url),
                   "database_pinned_core": int(CLIENT_CORE) if pinned else None,
                   "wrk": "wrk -t1 --latency, pinned to core 1, wrk/todo.lua",
                   "server_core": 0,
                   "servers": {n: TODO_SPECS[n]["label"] + ": " + TODO_SPECS[n]["note"]
                               for n in names}},
        "results": results,
    }


def add_todo_ratios(results: dict) -> None:
    """Every figure as a ratio to axum + sqlx's, the framework oxapi is held to."""
    for r in results.values():
        base = r["servers"].get("axum")
        if not base:
            continue
        for s in r["servers"].values():
            s["ratio"] = {
                "rps": ratio(s["rps"], base["rps"]),
                "p50": ratio(s["p50_ms"], base["p50_ms"]),
                "p99": ratio(s["p99_ms"], base["p99_ms"]),
                "cpu_per_req": ratio(s["server_us_per_req"], base["server_us_per_req"]),
                "db_per_req": ratio(s.get("database_us_per_req"), base.get("database_us_per_req")),
            }


def render_todo_md(section: dict) -> list[str]:
    cfg = section["config"]
    res = section["results"]
    names = [n for n in TODO_SERVERS if any(n in r["servers"] for r in res.values())]
    out = ["## Todo: examples/todo on PostgreSQL", "",
           f"{cfg['runs']} interleaved runs of {cfg['duration_s']} s (after a {cfg['warmup_s']} s "
           f"warm-up) per server and endpoint, each from the same seed (one user, one list of "
           f"{cfg['items']} items); each figure the median. {cfg['connections']} connections, "
           f"{cfg['wrk']}; servers on core 0; PostgreSQL "
           + (f"pinned to core {cfg['database_pinned_core']} (with wrk)"
              if cfg.get("database_pinned_core") is not None else "not pinned")
           + f". Ran {section['started']} to {section['finished']}.", "",
           "### Server CPU time per request, ratio to axum + sqlx (lower is better)", "",
           "| endpoint | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for r in res.values():
        cells = []
        for n in names:
            s = r["servers"].get(n)
            cells.append(fmt((s.get("ratio") or {}).get("cpu_per_req")) if s else "–")
        out.append(f"| {r['label']} | " + " | ".join(cells) + " |")
    out += ["", "### Absolute figures", "",
            "| endpoint | server | req/s | ×axum | p50 ms | p99 ms | server µs/req [range] | ×axum | "
            "PostgreSQL µs/req | ×axum | wrk CPU | other CPU | retried / still noisy | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in res.values():
        for n in names:
            s = r["servers"].get(n)
            if not s:
                continue
            q = s.get("ratio") or {}
            bounds = s.get("server_us_per_req_range")
            spread = f" [{fmt(bounds[0], 1)}–{fmt(bounds[1], 1)}]" if bounds else ""
            errs = s.get("errors") or {}
            err_text = ", ".join(f"{k} {v}" for k, v in errs.items() if v) or "0"
            out.append(
                f"| {r['label']} | {n} | {s['rps']:,.0f} | {fmt(q.get('rps'))} | "
                f"{fmt(s['p50_ms'])} | {fmt(s['p99_ms'])} | "
                f"{fmt(s.get('server_us_per_req'), 1)}{spread} | {fmt(q.get('cpu_per_req'))} | "
                f"{fmt(s.get('database_us_per_req'), 1)} | {fmt(q.get('db_per_req'))} | "
                f"{fmt(s.get('client_cpu_pct'), 0, '%')} | {fmt(s.get('other_cpu_pct'), 0, '%')} | "
                f"{s.get('retries', 0)} / {s.get('noisy_runs', 0)} | {err_text} |")
    out += ["", "server µs/req: the server's CPU time (user + system, all its threads and "
            "processes) per request. PostgreSQL µs/req: the same for every PostgreSQL process "
            "(the postmaster's tree: the backends serving the server's pool, and the WAL writer "
            "and others their work causes). errors: wrk's non-2xx answers and socket errors "
            "(an update answered 412 would count here).", ""]
    out += ["Servers:", ""] + [f"- {k}: {v}" for k, v in cfg["servers"].items()] + [""]
    return out


# --------------------------------------------------------------------------------------------
# Results: JSON, Markdown, SVG


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def fmt(value, digits=2, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}{suffix}"
    return f"{value:.{digits}f}{suffix}"


def render_md(data: dict) -> str:
    out = ["# oxapi benchmark results", ""]
    m = data.get("machine", {})
    out += [
        f"Generated {data.get('generated', '?')} by `python3 bench/run.py` "
        "(see bench/README.md for what each mode measures).", "",
        f"- Machine: {m.get('cpu_model', '?')} (family {m.get('cpu_family', '?')}, model "
        f"{m.get('cpu_model_number', '?')}), {m.get('cores', '?')} cores, "
        f"{m.get('memory_gib', '?')} GiB, kernel {m.get('kernel', '?')}"
        + (f", hypervisor {m['hypervisor']}" if m.get("hypervisor") else ""),
        f"- Toolchain: {m.get('rustc', '?')}; {m.get('wrk', '?')}; Python {m.get('python', '?')}"
        + (f" ({m['python_packages']})" if m.get("python_packages") else ""),
        f"- Crates: " + ", ".join(f"{k} {v}" for k, v in (m.get("crates") or {}).items()),
        f"- oxapi: {m.get('oxapi_commit', '?')}",
        f"- Load average at start: {' '.join(m.get('loadavg_start', []))}",
        "- Pinning: every server on core 0 (so: one core each; FastAPI `--workers 2` is two "
        "processes sharing that one core), wrk on core 1.",
        "",
    ]
    load = data.get("load")
    if load:
        cfg = load["config"]
        res = load["results"]
        names = [n for n in LOAD_SERVERS if any(n in r["servers"] for r in res.values())]
        out += ["## Load", "",
                f"{cfg['runs']} interleaved runs of {cfg['duration_s']} s (after a "
                f"{cfg['warmup_s']} s warm-up) per server and endpoint; each figure is the median. "
                f"{cfg['connections']} connections ({cfg['io_connections']} for `/io`), "
                f"{cfg['wrk']}. Ran {load['started']} to {load['finished']}.", "",
                "When wrk's CPU (in the absolute table) is near 100%, the load generator's core, "
                "not the server, limits req/s: the Rust servers' ratios are then compressed "
                "towards 1.0, and the server's CPU time per request is the better comparison.", ""]
        for title, metric, better in (("Requests per second, ratio to raw hyper", "rps", "higher"),
                                      ("p50 latency, ratio to raw hyper", "p50", "lower"),
                                      ("p99 latency, ratio to raw hyper", "p99", "lower"),
                                      ("Peak RSS, ratio to raw hyper", "peak_rss", "lower"),
                                      ("Server CPU time per request (whatever bounds req/s), "
                                       "ratio to raw hyper", "cpu_per_req", "lower")):
            out += [f"### {title} ({better} is better)", "",
                    "| endpoint | " + " | ".join(names) + " |",
                    "|---|" + "---:|" * len(names)]
            for key, r in res.items():
                cells = []
                for n in names:
                    s = r["servers"].get(n)
                    cells.append(fmt(s["ratio"][metric]) if s and s.get("ratio") else "–")
                out.append(f"| {r['label']} | " + " | ".join(cells) + " |")
            out.append("")
        out += ["### Absolute figures", "",
                "| endpoint | server | req/s | ×hyper | p50 ms | ×hyper | p99 ms | ×hyper | "
                "peak RSS MiB | ×hyper | server µs/req | ×hyper | req/s spread | wrk CPU | other CPU | "
                "retried / still noisy | errors |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for key, r in res.items():
            for n in names:
                s = r["servers"].get(n)
                if not s:
                    continue
                q = s.get("ratio") or {}
                errs = s.get("errors") or {}
                err_text = ", ".join(f"{k} {v}" for k, v in errs.items() if v) or "0"
                out.append(
                    f"| {r['label']} ({r['connections']}c) | {n} | {s['rps']:,.0f} | "
                    f"{fmt(q.get('rps'))} | {fmt(s['p50_ms'])} | {fmt(q.get('p50'))} | "
                    f"{fmt(s['p99_ms'])} | {fmt(q.get('p99'))} | "
                    f"{s['peak_rss_kb'] / 1024:.1f} | {fmt(q.get('peak_rss'))} | "
                    f"{fmt(s.get('server_us_per_req'))} | {fmt(q.get('cpu_per_req'))} | "
                    f"{fmt(s.get('rps_spread_pct'), 0, '%')} | {fmt(s.get('client_cpu_pct'), 0, '%')} | "
                    f"{fmt(s.get('other_cpu_pct'), 0, '%')} | "
                    f"{s.get('retries', 0)} / {s.get('noisy_runs', 0)} | {err_text} |")
        out += ["",
                "server µs/req: the server's CPU time (user + system, all its threads and "
                "processes) per request; it stays meaningful when wrk, not the server, is the "
                "bottleneck. req/s spread: (max − min) / median over the runs. wrk CPU: the load generator's "
                "use of its core (near 100%: the figure may be bounded by wrk, not the server). "
                "other CPU: what else ran on the machine meanwhile, in % of one core (approximate; "
                "includes kernel network threads). retried / still noisy: measurements taken again "
                "because others used the CPU, and runs kept although still noisy. Peak RSS: VmHWM "
                "of the server's processes, reset before each run.", ""]
        out += ["Servers:", ""] + [f"- {k}: {v}" for k, v in cfg["servers"].items()] + [""]
        out += ["![ratios to raw hyper](latest.svg)" if data.get("_svg_name") == "latest.svg"
                else f"![ratios to raw hyper]({data.get('_svg_name', 'latest.svg')})", ""]
    iso = data.get("isolation")
    if iso:
        cfg = iso["config"]
        out += ["## Isolation under blocking work", "",
                f"The fast async route `{cfg['fast_path']}` ({cfg['fast_connections']} connections) "
                f"while a slow route does {cfg['work']} ({cfg['slow_connections']} connections on "
                f"it). Server on core 0 (one event-loop thread), both wrk on core 1. "
                f"{cfg['runs']} interleaved runs of {cfg['duration_s']} s; medians, with the range "
                f"over the runs in brackets. Ran {iso['started']} to {iso['finished']}.", "",
                "| variant | slow route does | fast p99 ms, unloaded | fast p99 ms, loaded | "
                "fast req/s ÷ unloaded | slow requests done in "
                f"{cfg['duration_s']} s | slow p50 ms | slow p99 ms | retried / still noisy |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|"]

        def with_range(value, bounds, digits=2):
            if not bounds:
                return fmt(value, digits)
            return f"{fmt(value, digits)} [{fmt(bounds[0], digits)}–{fmt(bounds[1], digits)}]"

        for key, e in iso["results"].items():
            b = e["baseline"]
            for kind, u in e["under_slow"].items():
                f_ = u["fast"]
                slow = u["slow"]
                out.append(
                    f"| {e['label']} | {kind} | "
                    f"{with_range(b['p99_ms'], e.get('baseline_p99_range_ms'))} | "
                    f"**{with_range(f_['p99_ms'], u.get('fast_p99_range_ms'))}** | "
                    f"{fmt(u['rps_ratio_to_own_baseline'])} | "
                    f"**{u.get('slow_done_per_duration', '–')}** | "
                    f"{with_range(slow.get('p50_ms'), u.get('slow_p50_range_ms'), 1)} | "
                    f"{fmt(slow.get('p99_ms'), 0)} | "
                    f"{f_.get('retries', 0)} / {f_.get('noisy_runs', 0)} |")
        out += ["", "A slow route can at best do 20 req/s per thread (50 ms each); on one core, "
                "CPU-bound work is capped at 20 req/s in total, shared with the fast route.", ""]
    idle = data.get("idle")
    if idle:
        cfg = idle["config"]
        out += ["## Idle keep-alive connections", "",
                f"{cfg['connections']:,} connections, each after one request, held open; "
                f"bytes per connection = {cfg['bytes_per_connection']}. {cfg['runs']} runs, "
                f"medians. Ran {idle['started']} to {idle['finished']}.", "",
                "| server | held | RSS before MiB | RSS with connections MiB | bytes per connection "
                "| ×hyper | RSS after closing MiB |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name, s in idle["results"].items():
            q = (s.get("ratio") or {}).get("bytes_per_connection")
            out.append(
                f"| {name} | {s['connections_ok']:,.0f} | {s['rss_before_kb'] / 1024:.1f} | "
                f"{s['rss_with_connections_kb'] / 1024:.1f} | {s['bytes_per_connection']:,.0f} | "
                f"{fmt(q)} | {s['rss_after_close_kb'] / 1024:.1f} |")
        out.append("")
    rt = data.get("realtime")
    if rt:
        cfg = rt["config"]
        res = rt["results"]
        base = res.get("axum", {})

        def cell(name, part, key, digits=2):
            s = res[name][part]
            value, bounds = s.get(key), s.get(f"{key}_range")
            if digits == 0:  # counts: thousands separated, as fmt does for floats
                value = float(value) if value is not None else None
                bounds = [float(b) for b in bounds] if bounds else None
            text = fmt(value, digits)
            if bounds:
                text += f" [{fmt(bounds[0], digits)}–{fmt(bounds[1], digits)}]"
            ref = base.get(part, {}).get(key)
            if name != "axum" and ref:
                text += f" ({value / ref:.2f}×)"
            return text

        out += ["## Realtime: WebSockets and Server-Sent Events", "",
                f"Server CPU per message, medians of {cfg['runs']} interleaved runs [range], "
                f"ratio to axum in brackets. WebSocket echo: {cfg['ws_connections']:,} "
                f"connections, each sending a small JSON text and waiting for its echo, "
                f"{cfg['ws_seconds']} s. SSE fan-out: {cfg['sse_subscribers']:,} subscribers, "
                f"{cfg['sse_events']} events published one at a time, each a JSON `data` line "
                f"serialized per subscriber; the next is published once every subscriber has "
                f"the last. Idle: {cfg['idle_connections']:,} connections opened and left idle "
                f"(RSS growth / connections). Client: {cfg['client']}. Ran {rt['started']} to "
                f"{rt['finished']}.", "",
                "| server | WS echo µs/msg | WS msg/s | SSE µs/event | SSE fan-out p50 ms "
                "| idle WebSocket B | idle SSE subscriber B |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name in res:
            out.append(
                f"| {name} | {cell(name, 'ws_echo', 'server_us_per_message')} | "
                f"{cell(name, 'ws_echo', 'messages_per_s', 0)} | "
                f"{cell(name, 'sse_fanout', 'server_us_per_event')} | "
                f"{cell(name, 'sse_fanout', 'fanout_p50_ms')} | "
                f"{cell(name, 'idle_ws', 'bytes_per_connection', 0)} | "
                f"{cell(name, 'idle_sse', 'bytes_per_connection', 0)} |")
        out.append("")
    files = data.get("files")
    if files:
        cfg = files["config"]
        res = files["results"]

        def spread(s, key, scale=1.0, digits=1):
            value, bounds = s.get(key), s.get(f"{key}_range")
            if value is None:
                return "?"
            text = fmt(value / scale, digits)
            if bounds:
                text += f" [{fmt(bounds[0] / scale, digits)}–{fmt(bounds[1] / scale, digits)}]"
            return text

        out += ["## Files: a multipart upload and static files", "",
                f"Medians of {cfg['runs']} interleaved runs [range]. Upload: "
                f"{cfg['upload_bytes'] / MIB:.0f} MiB in {cfg['upload']}. Peak RSS is the "
                f"server's VmHWM during the upload (reset before it). Static: wrk, "
                f"{cfg['connections']} connections, {cfg['duration_s']} s per file. Ran "
                f"{files['started']} to {files['finished']}.", "",
                "| server | upload MiB/s | peak RSS MiB | RSS before MiB | 64 KiB file req/s "
                "| 64 KiB MiB/s | 100 B file req/s |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name, r in res.items():
            up, big, small = r["upload"], r["static_64k"], r["static_small"]
            out.append(
                f"| {name} | {spread(up, 'mb_per_s')} | {spread(up, 'peak_rss_kb', 1024)} | "
                f"{fmt(up.get('rss_before_kb', 0) / 1024, 1)} | {spread(big, 'rps', 1, 0)} | "
                f"{fmt((big.get('rps') or 0) * 64 / 1024, 0)} | {spread(small, 'rps', 1, 0)} |")
        out.append("")
    if data.get("todo"):
        out += render_todo_md(data["todo"])
    return "\n".join(out)


COLORS = {"hyper": "#7f7f7f", "oxapi": "#d62728", "axum": "#1f77b4", "actix": "#2ca02c",
          "fastapi": "#ff7f0e", "fastapi-w2": "#9467bd"}


def render_svg(load: dict) -> str:
    res = load["results"]
    keys = list(res)
    names = [n for n in LOAD_SERVERS if n != "hyper" and any(n in r["servers"] for r in res.values())]
    width, left, right = 1000, 70, 20
    panel_h, top = 230, 60
    height = top + 3 * (panel_h + 70) + 50
    plot_w = width - left - right
    group_w = plot_w / max(1, len(keys))
    bar_w = group_w * 0.8 / max(1, len(names))
    e = html.escape
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">'
           'The same service, one core each: ratio to raw hyper (1.0 = raw hyper)</text>']
    # legend
    x = left
    for n in names:
        svg.append(f'<rect x="{x}" y="34" width="12" height="12" fill="{COLORS.get(n, "#000")}"/>'
                   f'<text x="{x + 16}" y="44">{e(SERVERS[n]["label"])}</text>')
        x += 26 + 7 * len(SERVERS[n]["label"])

    def panel(y0, metric, title, log_scale):
        values = [r["servers"][n]["ratio"][metric] for r in res.values() for n in names
                  if n in r["servers"] and r["servers"][n].get("ratio")
                  and r["servers"][n]["ratio"].get(metric)]
        if not values:
            return
        if log_scale:
            lo = 10 ** math.floor(math.log10(min(min(values), 1.0)))
            hi = 10 ** math.ceil(math.log10(max(max(values), 1.0) * 1.05))
            if hi <= lo * 10:
                hi = lo * 100

            def ypos(v):
                return y0 + panel_h - panel_h * (math.log10(v) - math.log10(lo)) / (
                    math.log10(hi) - math.log10(lo))
            ticks = [10 ** k for k in range(int(math.log10(lo)), int(math.log10(hi)) + 1)]
            base = lo
        else:
            hi = max(1.2, max(values) * 1.1)
            step = 0.25 if hi <= 1.5 else 0.5 if hi <= 3 else 1.0

            def ypos(v):
                return y0 + panel_h - panel_h * v / hi
            ticks = [i * step for i in range(int(hi / step) + 1)]
            base = 0.0
        svg.append(f'<text x="{left}" y="{y0 - 10}" font-size="13" font-weight="bold">'
                   f'{e(title)}</text>')
        for t in ticks:
            y = ypos(t)
            svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                       f'stroke="#e0e0e0"/><text x="{left - 6}" y="{y + 4:.1f}" '
                       f'text-anchor="end">{t:g}</text>')
        y1 = ypos(1.0)
        svg.append(f'<line x1="{left}" y1="{y1:.1f}" x2="{width - right}" y2="{y1:.1f}" '
                   'stroke="black" stroke-dasharray="5,3"/>')
        for gi, key in enumerate(keys):
            r = res[key]
            gx = left + gi * group_w + group_w * 0.1
            for bi, n in enumerate(names):
                s = r["servers"].get(n)
                v = s and s.get("ratio") and s["ratio"].get(metric)
                if not v:
                    continue
                bx = gx + bi * bar_w
                yb, yv = ypos(base), ypos(v)
                ytop, h = min(yb, yv), abs(yb - yv)
                svg.append(f'<rect x="{bx:.1f}" y="{ytop:.1f}" width="{bar_w - 2:.1f}" '
                           f'height="{h:.1f}" fill="{COLORS.get(n, "#000")}">'
                           f'<title>{e(n)} {e(r["label"])}: {v:.3g}</title></rect>')
                svg.append(f'<text x="{bx + bar_w / 2 - 1:.1f}" y="{yv - 3:.1f}" '
                           f'text-anchor="middle" font-size="9">'
                           f'{f"{v:.0f}" if v >= 100 else f"{v:.2g}"}</text>')
            svg.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" '
                       f'y="{y0 + panel_h + 16}" text-anchor="middle">{e(r["label"])}</text>')
        svg.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{width - right}" '
                   f'y2="{y0 + panel_h}" stroke="black"/>')

    panel(top + 30, "rps", "Requests per second ÷ raw hyper (higher is better)", False)
    panel(top + 30 + panel_h + 70, "cpu_per_req",
          "Server CPU time per request ÷ raw hyper (lower is better; log scale)", True)
    panel(top + 30 + 2 * (panel_h + 70), "p99",
          "p99 latency ÷ raw hyper (lower is better; log scale)", True)
    cfg = load["config"]
    m = load.get("machine", {})
    svg.append(f'<text x="{left}" y="{height - 10}" font-size="10" fill="#555">'
               f'{e(str(m.get("cpu_model", "?")))}, {m.get("cores", "?")} cores, kernel '
               f'{e(str(m.get("kernel", "?")))}; server pinned to core 0, wrk to core 1; medians of '
               f'{cfg["runs"]} runs x {cfg["duration_s"]} s; {cfg["connections"]} connections '
               f'({cfg["io_connections"]} for /io); {e(load["finished"])}</text>')
    svg.append("</svg>")
    return "\n".join(svg)


def mode_report(args) -> int:
    prefix = "quick" if args.quick else "latest"
    path = RESULTS / f"{prefix}.json"
    if not path.exists():
        sys.exit(f"error: no {path.relative_to(ROOT)} yet; run a mode first")
    data = json.loads(path.read_text())
    if "load" in data:
        add_load_ratios(data["load"]["results"])
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / f"{prefix}.svg").write_text(render_svg(data["load"]) + "\n")
    (RESULTS / f"{prefix}.md").write_text(render_md(dict(data, _svg_name=f"{prefix}.svg")) + "\n")
    log(f"wrote {prefix}.md" + (f" and {prefix}.svg" if "load" in data else ""))
    return 0


def write_results(section: str, payload: dict, machine: dict, prefix: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{prefix}.json"
    data = {}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except ValueError:
            data = {}
    payload["machine"] = machine
    data[section] = payload
    data["generated"] = now()
    data["machine"] = machine
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    svg_name = f"{prefix}.svg"
    if "load" in data:
        (RESULTS / svg_name).write_text(render_svg(data["load"]) + "\n")
    md = render_md(dict(data, _svg_name=svg_name))
    (RESULTS / f"{prefix}.md").write_text(md + "\n")
    log(f"results: {path.relative_to(ROOT)}, {prefix}.md" + (f", {svg_name}" if "load" in data else ""))


# --------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python3 bench/run.py",
        description="oxapi's load benchmark against raw hyper, axum, actix-web and FastAPI.")
    p.add_argument("mode", choices=["load", "isolation", "idle", "realtime", "files", "smoke",
                                    "todo", "all", "report"],
                   help="report: write the .md and .svg again from the .json, measuring nothing")
    p.add_argument("--quick", action="store_true",
                   help="a smoke check of the harness: 1 run of 2 s, fewer connections; "
                        "writes results/quick.* instead of results/latest.*")
    p.add_argument("--runs", type=int, help="runs per figure (default 3; median)")
    p.add_argument("--duration", type=int, help="seconds per measurement (default 5)")
    p.add_argument("--warmup", type=int, help="seconds of warm-up before each (default 1)")
    p.add_argument("--connections", type=int, help="wrk connections (default 64)")
    p.add_argument("--io-connections", type=int, help="wrk connections for /io (default 1000)")
    p.add_argument("--fast-connections", type=int,
                   help="isolation: connections on the fast route (default 16)")
    p.add_argument("--slow-connections", type=int,
                   help="isolation: connections on the slow route (default 8)")
    p.add_argument("--idle-connections", type=int, help="idle: connections (default 10000)")
    p.add_argument("--idle-runs", type=int, help="idle: runs (default 3)")
    p.add_argument("--ws-connections", type=int,
                   help="realtime: WebSocket echo connections (default 1000)")
    p.add_argument("--sse-subscribers", type=int,
                   help="realtime: SSE subscribers (default 1000)")
    p.add_argument("--sse-events", type=int, help="realtime: events published (default 200)")
    p.add_argument("--realtime-idle", type=int,
                   help="realtime: idle WebSockets, and idle SSE subscribers (default 5000)")
    p.add_argument("--upload-mib", type=int, default=100,
                   help="files: the upload's size in MiB (default 100)")
    p.add_argument("--servers", default=",".join(LOAD_SERVERS),
                   help="comma-separated subset of: " + ", ".join(LOAD_SERVERS))
    p.add_argument("--endpoints", default=",".join(e[0] for e in ENDPOINTS),
                   help="comma-separated subset of: " + ", ".join(e[0] for e in ENDPOINTS))
    p.add_argument("--variants", default=",".join(v[0] for v in ISOLATION),
                   help="isolation: comma-separated subset of: "
                        + ", ".join(v[0] for v in ISOLATION))
    p.add_argument("--wait-quiet", type=float, default=120.0,
                   help="seconds to wait, before each run and before measuring again, for other "
                        "processes to stop using the CPU (default 120; then it goes on)")
    p.add_argument("--wait-budget", type=float, default=900.0,
                   help="total seconds a mode may spend waiting for a quiet machine (900)")
    p.add_argument("--max-other", type=float, default=20.0,
                   help="a measurement during which other processes used more than this %% of a "
                        "core is taken again (default 20)")
    p.add_argument("--retries", type=int, default=3,
                   help="how often a noisy measurement is taken again (default 3)")
    p.add_argument("--database-url",
                   help="todo: the PostgreSQL to use (its users, lists and items are emptied); "
                        "default: one started by scripts/postgres.sh")
    p.add_argument("--check", action="store_true",
                   help="todo: only check every server's answers, measure nothing")
    p.add_argument("--todo-endpoints", default=",".join(e[0] for e in TODO_ENDPOINTS),
                   help="todo: comma-separated subset of: "
                        + ", ".join(e[0] for e in TODO_ENDPOINTS))
    p.add_argument("--no-build", action="store_true", help="use the binaries already built")
    p.add_argument("--no-fastapi", action="store_true", help="leave FastAPI out")
    p.add_argument("--release", action="store_true", help="smoke: check release binaries")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = dict(runs=1 if quick else 3, duration=2 if quick else 5, warmup=1,
                    connections=64, io_connections=200 if quick else 1000,
                    fast_connections=16, slow_connections=8,
                    idle_connections=1000 if quick else 10000, idle_runs=1 if quick else 3,
                    ws_connections=100 if quick else 1000, sse_subscribers=100 if quick else 1000,
                    sse_events=20 if quick else 200, realtime_idle=500 if quick else 5000)
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.endpoints = [s.strip() for s in args.endpoints.split(",") if s.strip()]
    args.variants = [s.strip() for s in args.variants.split(",") if s.strip()]
    args.todo_endpoints = [s.strip() for s in args.todo_endpoints.split(",") if s.strip()]
    for s in args.todo_endpoints:
        if s not in [e[0] for e in TODO_ENDPOINTS]:
            p.error(f"unknown todo endpoint {s!r}")
    for s in args.servers:
        if s not in SERVERS:
            p.error(f"unknown server {s!r}")
    for s in args.endpoints:
        if s not in [e[0] for e in ENDPOINTS]:
            p.error(f"unknown endpoint {s!r}")
    for s in args.variants:
        if s not in [v[0] for v in ISOLATION]:
            p.error(f"unknown variant {s!r}")
    if args.no_fastapi:
        args.servers = [s for s in args.servers if SERVERS[s]["kind"] != "python"]
    if args.runs < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--runs and --duration must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _on_signal)
    raise_file_limit()
    ensure_tools()
    ensure_static_files()
    if args.mode == "smoke":
        return mode_smoke(args)
    if args.mode == "report":
        return mode_report(args)
    if (os.cpu_count() or 1) < 2:
        sys.exit("error: needs 2 cores (server on core 0, load generator on core 1)")
    if args.mode == "todo":
        return run_todo(args)
    if not args.no_build:
        build("release")
    # The files mode measures Rust servers only: no venv for it.
    if args.mode != "files" and any(SERVERS[s]["kind"] == "python" for s in args.servers):
        if not ensure_venv():
            args.servers = [s for s in args.servers if SERVERS[s]["kind"] != "python"]
    machine = machine_info()
    prefix = "quick" if args.quick else "latest"
    modes = (["load", "isolation", "idle", "realtime", "files"] if args.mode == "all"
             else [args.mode])
    started = time.monotonic()
    for mode in modes:
        t0 = time.monotonic()
        payload = {"load": mode_load, "isolation": mode_isolation, "idle": mode_idle,
                   "realtime": mode_realtime, "files": mode_files}[mode](args)
        payload["wall_seconds"] = round(time.monotonic() - t0)
        machine["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        write_results(mode, payload, machine, prefix)
        log(f"{mode}: done in {payload['wall_seconds']} s")
    log(f"total {time.monotonic() - started:.0f} s")
    return 0


def run_todo(args) -> int:
    """The todo mode: checks, then (without --check) measures and writes results."""
    prefix = "quick" if args.quick else "latest"
    t0 = time.monotonic()
    payload = mode_todo(args)
    if isinstance(payload, int):
        return payload
    machine = machine_info()
    payload["wall_seconds"] = round(time.monotonic() - t0)
    machine["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    write_results("todo", payload, machine, prefix)
    log(f"todo: done in {payload['wall_seconds']} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        _cleanup()
        sys.exit(130)
    except RuntimeError as error:
        _cleanup()
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
