#!/usr/bin/env python3
"""The cluster figures: examples/todo as 1, 2 and 3 instances (network-namespace hosts) behind
nginx, on one PostgreSQL, loaded with the todo benchmark's wrk scripts. See bench/README.md,
section "The todo service as a cluster".

    sudo python3 bench/cluster.py                  # build, proof if needed, measure, write
    sudo python3 bench/cluster.py --runs 3 --duration 8 --proof   # also run the proof again
    python3 bench/cluster.py --render              # write cluster.md again from cluster.json

What it reports, per endpoint (read-one, list-page, create, update) and setup (one instance
with wrk straight at it; one, two and three instances behind nginx): the todo processes' CPU
time per request (utime + stime from /proc, summed over the setup's instances), nginx's (its
master and workers), PostgreSQL's, requests/s and p50/p99; medians over interleaved runs. And
the failover phases of tests/cluster/proof.py (its target/cluster-report.json, made by running
the proof first when missing or with --proof).

Everything shares the machine's 2 cores: throughput measures oversubscription, not scaling,
so CPU time per request is the figure to read. A benchmark: nothing here asserts on timings.

The hosts, nginx and deploy/ handling are tests/cluster's modules, imported; the database's
seed, the wrk scripts, /proc readings and statistics are the todo benchmark's (todo.py,
run.py). Needs root (network namespaces); holds the proof's machine-wide lock while it runs,
and removes what it made (processes, nginx, PostgreSQL, namespaces, bridge, directories)
however it ends.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

# Leave no __pycache__ in tests/cluster or bench/.
sys.dont_write_bytecode = True

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(1, str(ROOT / "tests" / "cluster"))

import deploy_check  # noqa: E402  (tests/cluster: what deploy/ says, checked against the binary)
import hosts  # noqa: E402  (tests/cluster: namespaces, the bridge, instances, the lock)
import nginx  # noqa: E402  (tests/cluster: nginx with deploy/nginx.conf)
import proof  # noqa: E402  (tests/cluster: its small HTTP helpers)
import run  # noqa: E402  (bench/run.py: wrk, /proc, statistics, waiting for a quiet machine)
import todo  # noqa: E402  (bench/todo.py: the seed and the answers' checks)
from hosts import Failure  # noqa: E402

RESULTS_JSON = run.RESULTS / "cluster.json"
RESULTS_MD = run.RESULTS / "cluster.md"
PROOF_REPORT = ROOT / "target" / "cluster-report.json"
RELEASE_BINARY = ROOT / "target" / "release" / "todo"
POSTGRES_SCRIPT = str(ROOT / "scripts" / "postgres.sh")

# (name, instances, behind nginx, label). `direct-1-nolog` (not measured unless named) is
# `direct-1` without the manifest's access log: what the JSON line per request costs.
SETUPS = [
    ("direct-1", 1, False, "1 instance, no nginx"),
    ("nginx-1", 1, True, "1 instance behind nginx"),
    ("nginx-2", 2, True, "2 instances behind nginx"),
    ("nginx-3", 3, True, "3 instances behind nginx"),
    ("direct-1-nolog", 1, False, "1 instance, no nginx, no access log"),
]
SETUP_NAMES = [s[0] for s in SETUPS]
DEFAULT_SETUPS = SETUP_NAMES[:4]
ENDPOINT_NAMES = [e[0] for e in run.TODO_ENDPOINTS]


class Interrupted(Exception):
    """A signal or the time limit ended the run early."""


class ManifestChecks:
    """deploy_check's checks of deploy/ against the binary, kept quiet: the bench runs its
    instances with the manifest's port and settings, so it needs them to hold."""

    def __init__(self):
        self.failures = []

    def check(self, name, ok, detail=""):
        if not ok:
            self.failures.append(f"{name}: {detail}")
        return bool(ok)

    def skip(self, name, reason):
        pass


class Meter:
    """CPU time (utime + stime, from /proc) of named groups of processes between two
    readings, wrk's (a waited-for child: RUSAGE_CHILDREN), and the machine's busy time."""

    def __init__(self, groups: dict):
        self.groups = groups
        self.before = {name: {pid: run.proc_cpu_seconds(pid) for pid in pids()}
                       for name, pids in groups.items()}
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.jiffies = run.cpu_jiffies()
        self.started = time.monotonic()

    def finish(self) -> dict[str, float]:
        """Seconds of CPU per group (a process that started meanwhile counts from zero), and
        `wrk`, `busy` (all cores), `wall`."""
        wall = time.monotonic() - self.started
        jiffies = run.cpu_jiffies()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = {}
        for name, pids in self.groups.items():
            before = self.before[name]
            used[name] = sum(run.proc_cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids())
        used["wrk"] = ((children.ru_utime + children.ru_stime)
                       - (self.children.ru_utime + self.children.ru_stime))
        used["busy"] = sum(jiffies[c][0] - self.jiffies[c][0]
                           for c in jiffies if c in self.jiffies) / run.CLK_TCK
        used["wall"] = wall
        return used


def http_call(host: str, port: int):
    """The todo checks' client (todo.check_todo_api's `call`), to any host."""

    def call(method, path, body=None, headers=None, form=False):
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            if form:
                body = urllib.parse.urlencode(body).encode()
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            else:
                body = json.dumps(body).encode()
                headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            got = {k.lower(): v for k, v in response.getheaders()}
            return response.status, got, todo.json_or_none(raw), raw
        finally:
            connection.close()

    return call


class Cluster:
    """The hosts, PostgreSQL, the instances and nginx of one benchmark run: what it made, to
    remove at the end."""

    def __init__(self, args, binary: str):
        self.args = args
        self.binary = binary
        self.state = hosts.State()
        self.tmp = None
        self.network = False
        self.postgres_dir = None
        self.instances: list[hosts.Instance] = []
        self.nginx = None
        self.nginx_port = None
        self.postmaster = None

    # --- setting up -----------------------------------------------------------------------

    def set_up(self):
        help_text = hosts.run(self.binary, "--help").stdout
        checks = ManifestChecks()
        self.deployment = deploy_check.read(str(ROOT), help_text, proof.read_sources(), checks)
        if checks.failures:
            raise Failure("deploy/ does not match the todo binary (run tests/cluster/proof.py "
                          "for details): " + "; ".join(checks.failures))
        self.tmp = tempfile.mkdtemp(prefix="oxapi-cluster-bench.")
        self.state.add_dir(self.tmp)
        os.chmod(self.tmp, 0o755)
        os.makedirs(os.path.join(self.tmp, "logs"))
        run.log("==> three hosts: namespaces oxapi-h1..3 on bridge oxapi-br0")
        self.network = True
        hosts.make_network()
        run.log("==> PostgreSQL (scripts/postgres.sh), on 127.0.0.1 and the bridge")
        self.postgres_dir = tempfile.mkdtemp(prefix="oxapi-postgres.")
        self.state.add_dir(self.postgres_dir, key="postgres_dirs")
        env = dict(os.environ, POSTGRES_EXTRA_LISTEN=f"{hosts.BRIDGE_ADDRESS}/{hosts.PREFIX}")
        self.database_url = hosts.run("bash", POSTGRES_SCRIPT, "start", self.postgres_dir,
                                      env=env).stdout.strip()
        self.db = todo.Database(self.database_url)
        self.postgres_version = self.db.psql("SHOW server_version;")
        instance_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # deploy/kubernetes.yaml's settings, as the proof runs its instances.
            **self.deployment.env,
            "DATABASE_URL": self.database_url.replace(
                "@127.0.0.1:", f"@{hosts.BRIDGE_ADDRESS}:"),
            "TODO_JWT_SECRET": run.TODO_JWT_SECRET,
        }
        if self.args.no_access_log:
            instance_env.pop("OXAPI_ACCESS_LOG", None)
        self.instance_env = instance_env
        for index, (namespace, address) in enumerate(hosts.HOSTS, start=1):
            self.instances.append(hosts.Instance(
                index, namespace, address, self.deployment.port, [self.binary], instance_env,
                os.path.join(self.tmp, "logs"), self.state))
        with open(ROOT / "deploy" / "nginx.conf", encoding="utf-8") as file:
            self.nginx_template = file.read()
        self.nginx_version = (hosts.run("nginx", "-v").stderr or "").strip()

    def start(self, count: int, behind_nginx: bool, access_log: bool = True) -> tuple[str, int]:
        """Starts `count` instances (fresh processes) and, if asked, nginx in front of them;
        returns the host and port the load goes to."""
        env = dict(self.instance_env)
        if not access_log:
            env.pop("OXAPI_ACCESS_LOG", None)
        with self.server_core():
            for instance in self.instances[:count]:
                instance.env = env
                instance.start()
        for instance in self.instances[:count]:
            self.wait_ready(instance)
        if not behind_nginx:
            first = self.instances[0]
            return first.address, first.port
        root = os.path.join(self.tmp, f"nginx-{time.monotonic_ns()}")
        os.makedirs(root)
        os.chmod(root, 0o755)
        self.nginx_port = run.free_port()
        config = nginx.config(self.nginx_template, self.nginx_port,
                              [i.upstream for i in self.instances[:count]], root)
        self.nginx = nginx.Nginx(root, config, self.state)
        self.nginx.test()
        with self.server_core():
            self.nginx.start()
        until = time.monotonic() + 10
        while proof.get(f"http://127.0.0.1:{self.nginx_port}/openapi.json", timeout=1) != 200:
            if self.nginx.process.poll() is not None or time.monotonic() > until:
                raise Failure("nginx did not serve the document: "
                              + hosts.tail(self.nginx.error_log))
            time.sleep(0.1)
        return "127.0.0.1", self.nginx_port

    def server_core(self):
        """While open, this process runs on the servers' core only, so that the instances
        and nginx started meanwhile inherit that affinity from their first instruction (the
        tokio runtime and nginx's `worker_processes auto` then size themselves to one core)."""
        bench = self

        class Pinned:
            def __enter__(self):
                self.saved = os.sched_getaffinity(0)
                if bench.args.pin:
                    os.sched_setaffinity(0, {int(run.SERVER_CORE)})

            def __exit__(self, *_):
                os.sched_setaffinity(0, self.saved)

        return Pinned()

    def wait_ready(self, instance, deadline: float = 60.0):
        url = instance.base_url + self.deployment.readiness_path
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if not instance.alive():
                raise Failure(f"{instance.name} exited {instance.process.returncode} while "
                              f"starting:\n{hosts.tail(instance.log_path)}")
            if proof.get(url, timeout=1) == 200:
                return
            time.sleep(0.1)
        raise Failure(f"{instance.name} was not ready after {deadline:.0f} s:\n"
                      + hosts.tail(instance.log_path))

    def stop(self):
        """Stops nginx and every instance; their logs go (a JSON line per request adds up)."""
        if self.nginx is not None:
            self.nginx.stop()
            shutil.rmtree(self.nginx.root, ignore_errors=True)
            self.nginx = None
        for instance in self.instances:
            instance.stop()
            if instance.log_path and os.path.exists(instance.log_path):
                os.remove(instance.log_path)

    def pids(self, count: int) -> dict:
        """The process groups a measurement reads: each of the setup's instances, nginx's
        master and workers, PostgreSQL's postmaster and every process it started."""
        groups = {i.name: (lambda i=i: [i.process.pid] if i.alive() else [])
                  for i in self.instances[:count]}
        if self.nginx is not None:
            groups["nginx"] = lambda: run.descendants(self.nginx.process.pid)
        if self.postmaster:
            groups["postgres"] = lambda: run.descendants(self.postmaster)
        return groups

    def clean_up(self):
        run.log("==> cleaning up")
        self.stop()
        hosts.tear_down(POSTGRES_SCRIPT, self.postgres_dir, self.network, self.tmp, self.state)

    # --- measuring ------------------------------------------------------------------------

    def measure_all(self) -> dict:
        args = self.args
        setups = [s for s in SETUPS if s[0] in args.setups]
        endpoints = [e for e in run.TODO_ENDPOINTS if e[0] in args.endpoints]
        # The seeded user's password hash, made by the todo's own sign-up (which also
        # migrates the database, at the instance's startup).
        self.start(1, False)
        self.db.empty()
        call = http_call(self.instances[0].address, self.instances[0].port)
        status, _, _, raw = call("POST", "/v1/users",
                                 {"username": todo.USERNAME, "password": todo.PASSWORD})
        if status != 201:
            raise Failure(f"sign-up of the bench user failed: {status} {raw[:200]!r}")
        self.stop()
        password_hash = self.db.password_hash(todo.USERNAME)
        self.postmaster = self.db.postmaster()
        if args.pin and not run.DatabaseCores(self.postmaster).pin():
            raise Failure("PostgreSQL's processes could not be pinned to core "
                          f"{run.CLIENT_CORE} (measure without --pin)")
        seed = todo.Seed()
        items_file = Path(self.tmp) / "todo-items.txt"
        items_file.write_text("".join(f"{item}\n" for item in seed.items))
        base = f"/v1/lists/{seed.list}/items"
        paths = {"read": f"{base}/{seed.items[todo.READ_INDEX]}",
                 "list": f"{base}?limit=20&offset=0", "create": base, "update": base}
        quiet = run.Quiet(args)
        samples = {s[0]: {e[0]: [] for e in endpoints} for s in setups}
        checked = set()
        started = run.now()
        run.log(f"==> {args.runs} run(s); per setup and endpoint {args.warmup} s of warm-up, "
                f"then {args.duration} s; wrk -t1 -c{args.connections}")
        for rep in range(args.runs):
            run.log(f"run {rep + 1}/{args.runs}")
            quiet.wait()
            for name, count, behind_nginx, label in run.rotation(setups, rep):
                try:
                    host, port = self.start(count, behind_nginx, not name.endswith("-nolog"))
                    if name not in checked:
                        self.check_answers(name, host, port)
                        checked.add(name)
                    self.db.seed(seed, password_hash)
                    token = self.token(host, port)
                    for key, endpoint_label, mode in endpoints:
                        env = {"TODO_MODE": mode, "TODO_TOKEN": token,
                               "TODO_ITEMS": str(items_file)}
                        url = f"http://{host}:{port}{paths[mode]}"
                        result = self.measure(count, url, env, quiet,
                                              lambda: self.reseed(seed, password_hash))
                        samples[name][key].append(result)
                        self.log_result(endpoint_label, label, result)
                finally:
                    self.stop()
        results = {}
        for key, endpoint_label, mode in endpoints:
            per = {}
            for name, count, behind_nginx, label in setups:
                summary = run.summarize(samples[name][key])
                summary["label"] = label
                summary["instances"] = count
                summary["nginx"] = behind_nginx
                summary["server_us_per_req_range"] = run.value_range(
                    summary["samples"], "server_us_per_req")
                statuses: dict[str, int] = {}
                for sample in summary["samples"]:
                    for status, n in sample.get("answers_not_2xx", {}).items():
                        statuses[status] = statuses.get(status, 0) + n
                summary["answers_not_2xx"] = statuses
                per[name] = summary
            results[key] = {"label": endpoint_label, "path": paths[mode], "setups": per}
        return {
            "started": started, "finished": run.now(),
            "config": {
                "runs": args.runs, "duration_s": args.duration, "warmup_s": args.warmup,
                "connections": args.connections, "items": todo.ITEMS,
                "wrk": f"wrk -t1 -c{args.connections} --latency, pinned to core "
                       f"{run.CLIENT_CORE}, wrk/todo.lua",
                "pinning": (f"the instances and nginx on core {run.SERVER_CORE}, PostgreSQL "
                            f"and wrk on core {run.CLIENT_CORE}" if args.pin else
                            f"wrk on core {run.CLIENT_CORE}, every other process on either"),
                "binary": self.binary,
                "instance_env": {k: v for k, v in self.instance_env.items()
                                 if k not in ("PATH", "DATABASE_URL", "TODO_JWT_SECRET")},
                "hosts": [f"{n} {a}:{self.deployment.port}" for n, a in hosts.HOSTS],
                "nginx": self.nginx_version + ", deploy/nginx.conf (instance list, listen and "
                                              "paths substituted)",
                "postgres": f"PostgreSQL {self.postgres_version}, scripts/postgres.sh "
                            "(fsync off)",
                "setups": {s[0]: s[3] for s in setups},
            },
            "results": results,
        }

    def reseed(self, seed, password_hash):
        """The seed again, once no session is at work. When wrk stops, the instance drops
        the requests it was serving, and sqlx leaves a connection whose transaction was
        dropped "idle in transaction" until the pool hands it out again (bench/README.md,
        "Note on sqlx"): after 3 s such a session is ended (PostgreSQL's own transactions
        here take milliseconds), not after todo.py's 30 s, which the todo mode can afford
        and a run holding the cluster lock cannot."""
        self.db.wait_idle(timeout=3, abandoned_after=1)
        self.db.seed(seed, password_hash)

    def check_answers(self, name, host, port):
        """todo.py's 32 checks of the API, through this setup's front (once per setup), so
        that a wrong answer is never measured."""
        self.db.empty()
        passed, failed = todo.check_todo_api(http_call(host, port))
        run.log(f"  {name}: the todo checks: {passed} passed, {len(failed)} failed")
        if failed:
            raise Failure(f"{name} answers wrongly; not measuring it:\n" + "\n".join(failed))

    def token(self, host, port) -> str:
        status, _, body, raw = http_call(host, port)(
            "POST", "/v1/token", {"username": todo.USERNAME, "password": todo.PASSWORD},
            form=True)
        if status != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise Failure(f"no token for the seeded user: {status} {raw[:200]!r}")
        return body["access_token"]

    def measure(self, count, url, env, quiet, reseed) -> dict:
        """One wrk measurement after a warm-up, each from the seed; taken again (after
        waiting for quiet) while other processes used the CPU, as bench/run.py does."""
        args = self.args
        for attempt in range(args.retries + 1):
            if args.warmup:
                reseed()
                run.run_wrk(url, args.connections, args.warmup, "todo.lua", env=env)
            reseed()
            logs = self.logs(count)
            offsets = {path: log_size(path) for path, _ in logs}
            meter = Meter(self.pids(count))
            result = run.run_wrk(url, args.connections, args.duration, "todo.lua", env=env)
            used = meter.finish()
            result["answers_not_2xx"] = answers_not_2xx(logs, offsets)
            for instance in self.instances[:count]:
                if not instance.alive():
                    raise Failure(f"{instance.name} died under load:\n"
                                  + hosts.tail(instance.log_path))
            result.update(figures(used, result["requests"], count))
            if not quiet.noisy(result, attempt):
                break
        return result

    def logs(self, count) -> list[tuple[str, object]]:
        """The logs that name each answer's status, with the pattern that finds it: nginx's
        access log, or else the instance's access log (JSON lines), when it is on."""
        if self.nginx is not None:
            return [(os.path.join(self.nginx.root, "access.log"), NGINX_STATUS)]
        return [(i.log_path, INSTANCE_STATUS) for i in self.instances[:count]
                if i.env.get("OXAPI_ACCESS_LOG")]

    def log_result(self, endpoint_label, setup_label, r):
        errors = sum(r["errors"].values())
        run.log(f"  {endpoint_label:<48} {setup_label:<24} {r['rps']:>7.0f} req/s  "
                f"p50 {r['p50_ms']:6.2f}  p99 {r['p99_ms']:7.2f} ms  "
                f"server {r['server_us_per_req']:6.1f}  nginx {r['nginx_us_per_req'] or 0:5.1f}  "
                f"PostgreSQL {r['postgres_us_per_req'] or 0:5.1f} µs/req  "
                f"busy {r['busy_cpu_pct']:3.0f}%  wrk {r['client_cpu_pct']:3.0f}%  "
                f"other {r['other_cpu_pct']:3.0f}%" + (f"  ERRORS {r['errors']}" if errors else "")
                + (f"  answers {r['answers_not_2xx']}" if r["answers_not_2xx"] else ""))


# The status of each answer: in deploy/nginx.conf's log format, and in the instance's access
# log line (`"status":200` in its JSON fields).
NGINX_STATUS = nginx.LOG_LINE
INSTANCE_STATUS = re.compile(r'"status":(?P<status>\d{3})\b')


def log_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def answers_not_2xx(logs, offsets) -> dict[str, int]:
    """How many answers written to `logs` since `offsets` had each status other than 2xx
    (wrk counts them as errors without saying which): read, not assumed."""
    counts: dict[str, int] = {}
    for path, pattern in logs:
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                file.seek(offsets.get(path, 0))
                for line in file:
                    found = pattern.search(line)
                    if found and not found["status"].startswith("2"):
                        counts[found["status"]] = counts.get(found["status"], 0) + 1
        except OSError:
            pass
    return counts


def figures(used: dict, requests: int, count: int) -> dict:
    """A measurement's CPU readings as µs per request and % of one core."""
    wall = used["wall"]
    names = [f"h{i}" for i in range(1, count + 1)]
    server = sum(used[n] for n in names)
    nginx_s = used.get("nginx")
    postgres = used.get("postgres")
    known = server + (nginx_s or 0.0) + (postgres or 0.0) + used["wrk"]

    def per_request(seconds):
        return None if seconds is None or not requests else round(seconds * 1e6 / requests, 2)

    def pct(seconds):
        return None if seconds is None else round(100 * seconds / wall, 1)

    return {
        "server_us_per_req": per_request(server),
        "nginx_us_per_req": per_request(nginx_s),
        "front_us_per_req": per_request(server + (nginx_s or 0.0)),
        "postgres_us_per_req": per_request(postgres),
        "server_cpu_pct": pct(server),
        "nginx_cpu_pct": pct(nginx_s),
        "database_cpu_pct": pct(postgres),
        "client_cpu_pct": pct(used["wrk"]),
        "busy_cpu_pct": pct(used["busy"]),
        # What else ran: other sessions' work, and the kernel's threads (network included).
        "other_cpu_pct": round(max(0.0, 100 * (used["busy"] - known) / wall), 1),
        "instance_cpu_pct": {n: pct(used[n]) for n in names},
    }


# --- the failover figures: tests/cluster/proof.py's report --------------------------------


def failover(args, binary: str) -> dict | None:
    """The proof's phases, from its report; the proof is run first (with this binary) when
    the report is missing or --proof asks. Before this run takes the lock: the proof takes
    it itself."""
    report_path = Path(args.proof_report)
    if args.proof or not report_path.exists():
        run.log(f"==> the failover proof: python3 tests/cluster/proof.py --binary {binary}")
        done = subprocess.run([sys.executable, str(ROOT / "tests" / "cluster" / "proof.py"),
                               "--binary", binary, "--report", str(report_path)],
                              cwd=str(ROOT), timeout=1800, check=False)
        if done.returncode != 0:
            run.log("  WARNING: the proof failed; its report (and its failed checks) is "
                    "quoted as it is")
    try:
        report = json.loads(report_path.read_text())
    except (OSError, ValueError) as error:
        run.log(f"  WARNING: no failover figures ({report_path}: {error})")
        return None
    checks = report.get("checks", [])
    keep = ("name", "label", "seconds", "requests", "errors", "p50_ms", "p99_ms", "max_ms",
            "creates_acknowledged", "creates_verified", "retried_by_nginx",
            "creates_retried_by_nginx", "served_by", "h1_exit")
    return {
        "source": os.path.relpath(report_path, ROOT),
        "command": f"python3 tests/cluster/proof.py --binary {display_path(binary)}",
        "generated": report.get("generated"),
        "binary": report.get("binary"),
        "profile": report.get("profile"),
        "clients": report.get("clients"),
        "rate_per_client": report.get("rate_per_client"),
        "checks_passed": sum(1 for c in checks if c.get("ok") is True),
        "checks_failed": [c["name"] for c in checks if c.get("ok") is False],
        "phases": [{k: p[k] for k in keep if k in p} for p in report.get("phases", [])],
        "writes": report.get("writes"),
        "jobs": {k: v for k, v in (report.get("jobs") or {}).items() if k != "admin"},
        "nginx_upstream_errors": report.get("nginx_upstream_errors"),
    }


# --- the report ---------------------------------------------------------------------------


def display_path(path: str) -> str:
    """A path inside the repository as relative to its root; any other as it is."""
    relative = os.path.relpath(path, ROOT)
    return path if relative.startswith("..") else relative


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, (int, float)) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def render_md(data: dict) -> str:
    m = data.get("machine", {})
    bench = data["cluster"]
    cfg = bench["config"]
    out = [
        "# The todo service as a cluster: CPU per request behind nginx, and failover", "",
        f"Generated {data.get('generated', '?')} by `{data.get('command', 'bench/cluster.py')}` "
        "(see bench/README.md, \"The todo service as a cluster\").", "",
        f"- Machine: {m.get('cpu_model', '?')}, {m.get('cores', '?')} cores, "
        f"{m.get('memory_gib', '?')} GiB, kernel {m.get('kernel', '?')}"
        + (f", hypervisor {m['hypervisor']}" if m.get("hypervisor") else ""),
        f"- {m.get('rustc', '?')}; {m.get('wrk', '?')}; {cfg['nginx']}; {cfg['postgres']}",
        f"- oxapi: {m.get('oxapi_commit', '?')}; `{display_path(cfg['binary'])}` "
        "(`cargo build --release -p todo`)",
        f"- Instances: network namespaces {', '.join(cfg['hosts'])} on a bridge, each with "
        "deploy/kubernetes.yaml's settings: "
        + ", ".join(f"`{k}={v}`" for k, v in cfg["instance_env"].items()),
        f"- Pinning: {cfg.get('pinning', 'none')}",
        *([f"- Note: {data['note']}"] if data.get("note") else []),
        f"- Load: {cfg['wrk']}; {cfg['runs']} interleaved runs of {cfg['duration_s']} s after "
        f"{cfg['warmup_s']} s of warm-up, each from the seed ({cfg['items']} items); medians. "
        f"Ran {bench['started']} to {bench['finished']}.",
        "",
        "**Read this first.** Everything here shares the machine's 2 cores: the todo instances, "
        "nginx, PostgreSQL and wrk (pinned as above). Adding instances adds no CPU, so "
        "requests/s measures how the same 2 cores are shared out (oversubscription), not "
        "scaling: the machine is full in every setup (the busy column, out of 200%). "
        "**CPU time per request is the figure to read**: what one request costs the "
        "instances (summed over all of them), nginx and PostgreSQL, whatever the throughput. "
        "On real machines, each instance brings its own cores.",
        "",
        "| endpoint | setup | server µs/req [range] | nginx µs/req | server + nginx | "
        "PostgreSQL µs/req | req/s | p50 ms | p99 ms | busy % (of 200) | other % | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    results = bench["results"]
    for key, r in results.items():
        for name, s in r["setups"].items():
            rng = s.get("server_us_per_req_range")
            errors = sum((s.get("errors") or {}).values())
            # 499: nginx's "client closed the request", the requests in flight when wrk ends
            # its run and closes its connections (wrk does not count them).
            statuses = {k: v for k, v in (s.get("answers_not_2xx") or {}).items() if k != "499"}
            if statuses:
                errors = f"{errors} (" + ", ".join(
                    f"{n}× {status}" for status, n in sorted(statuses.items())) + ")"
            out.append(
                f"| {r['label']} | {s['label']} | {fmt(s['server_us_per_req'])}"
                + (f" [{fmt(rng[0])}–{fmt(rng[1])}]" if rng else "")
                + f" | {fmt(s.get('nginx_us_per_req'))} | {fmt(s.get('front_us_per_req'))} | "
                f"{fmt(s.get('postgres_us_per_req'))} | {fmt(s['rps'], 0)} | "
                f"{fmt(s['p50_ms'], 2)} | {fmt(s['p99_ms'], 2)} | "
                f"{fmt(s.get('busy_cpu_pct'), 0)} | {fmt(s.get('other_cpu_pct'), 0)} | {errors} |")
    out += ["", "Server µs/req is the todo processes' user + system time divided by the "
            "requests wrk completed, summed over the setup's instances; nginx's is its master's "
            "and workers'; PostgreSQL's every process of its postmaster's tree. \"other\" is "
            "the rest of both cores' busy time (other sessions, kernel threads), in % of one "
            "core. Errors are wrk's over all runs (a status error is an answer other than 2xx "
            "or 3xx), with the statuses nginx's or the instance's access log gave them (leaving "
            "out nginx's 499s: the requests in flight when wrk closes its connections at the "
            "end).",
            ""]
    overhead = nginx_overhead(results)
    if overhead:
        out += ["## What nginx adds (1 instance, with and without nginx in front)", "",
                "| endpoint | server µs/req direct | behind nginx: server | nginx | server + "
                "nginx ÷ direct | p50 ms direct → nginx | p99 ms direct → nginx |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for row in overhead:
            out.append(
                f"| {row['label']} | {fmt(row['direct_server'])} | {fmt(row['nginx_server'])} | "
                f"{fmt(row['nginx'])} | {fmt(row['ratio'], 2)}× | {fmt(row['p50'][0], 2)} → "
                f"{fmt(row['p50'][1], 2)} | {fmt(row['p99'][0], 2)} → {fmt(row['p99'][1], 2)} |")
        out.append("")
    access = [(r["label"], r["setups"]["direct-1"], r["setups"]["direct-1-nolog"])
              for r in results.values()
              if "direct-1" in r["setups"] and "direct-1-nolog" in r["setups"]]
    if access:
        out += ["The instance's access log (`OXAPI_ACCESS_LOG=1`: one JSON line per request, "
                "written to its stdout, here a file) costs, per request, 1 instance without "
                "nginx: " + "; ".join(
                    f"{label} {fmt(on['server_us_per_req'])} − "
                    f"{fmt(off['server_us_per_req'])} = "
                    f"{fmt(on['server_us_per_req'] - off['server_us_per_req'])} µs"
                    for label, on, off in access) + ".", ""]
    fo = data.get("failover")
    if fo:
        out += ["## Failover (tests/cluster/proof.py)", "",
                f"From `{fo['source']}` ({fo['generated']}; `{fo['command']}`): "
                f"{fo['clients']} clients × {fo['rate_per_client']:g} requests/s through nginx "
                "(half creates with an `Idempotency-Key`, half reads), three instances; "
                f"{fo['checks_passed']} checks passed, {len(fo['checks_failed'])} failed"
                + (f" ({', '.join(fo['checks_failed'])})" if fo["checks_failed"] else "") + ".",
                "",
                "| phase | requests | errors | p50 ms | p99 ms | creates answered 2xx / in the "
                "database | retried by nginx (creates) | served by h1 / h2 / h3 |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for p in fo["phases"]:
            served = " / ".join(fmt(p["served_by"].get(f"h{n}", 0), 0) for n in (1, 2, 3))
            out.append(
                f"| {p['label']} | {fmt(p['requests'], 0)} | {p['errors']} | {fmt(p['p50_ms'])} | "
                f"{fmt(p['p99_ms'])} | {fmt(p['creates_acknowledged'], 0)} / "
                f"{fmt(p['creates_verified'], 0)} | {p['retried_by_nginx']} "
                f"({p['creates_retried_by_nginx']}) | {served} |")
        w = fo.get("writes") or {}
        jobs = fo.get("jobs") or {}
        out += ["", f"Writes: {w.get('acknowledged')} creates answered 2xx, "
                f"{w.get('in_database')} items in the database, {w.get('lost')} lost, "
                f"{w.get('duplicates')} made twice."
                + (f" Webhook jobs: {jobs.get('accepted')} deliveries accepted for "
                   f"{jobs.get('distinct')} items, {jobs.get('duplicates')} duplicates."
                   if "accepted" in jobs else "")
                + " Phase a SIGTERMs h1 (it drains), b SIGKILLs h2 (requests cut off in flight "
                "go to h3 through nginx's retries), c starts both again.", ""]
    return "\n".join(out)


def nginx_overhead(results: dict) -> list[dict]:
    rows = []
    for r in results.values():
        direct, behind = r["setups"].get("direct-1"), r["setups"].get("nginx-1")
        if not direct or not behind:
            continue
        rows.append({
            "label": r["label"],
            "direct_server": direct["server_us_per_req"],
            "nginx_server": behind["server_us_per_req"],
            "nginx": behind.get("nginx_us_per_req"),
            "ratio": run.ratio(behind.get("front_us_per_req"), direct["server_us_per_req"]),
            "p50": (direct["p50_ms"], behind["p50_ms"]),
            "p99": (direct["p99_ms"], behind["p99_ms"]),
        })
    return rows


def write(data: dict) -> None:
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(render_md(data) + "\n")
    run.log(f"results: {RESULTS_JSON.relative_to(ROOT)}, {RESULTS_MD.relative_to(ROOT)}")


# --- main ---------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 bench/cluster.py",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3, help="interleaved runs (3; medians)")
    p.add_argument("--duration", type=int, default=5, help="seconds per measurement (5)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of warm-up before each (1)")
    p.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    p.add_argument("--setups", default=",".join(DEFAULT_SETUPS),
                   help="comma-separated subset of: " + ", ".join(SETUP_NAMES))
    p.add_argument("--endpoints", default=",".join(ENDPOINT_NAMES),
                   help="comma-separated subset of: " + ", ".join(ENDPOINT_NAMES))
    p.add_argument("--binary", help="a todo binary (default: cargo build --release -p todo)")
    p.add_argument("--no-build", action="store_true", help="use target/release/todo as built")
    p.add_argument("--pin", action="store_true",
                   help="the instances and nginx on core 0, PostgreSQL and wrk on core 1, as the "
                        "todo benchmark pins (default: wrk on core 1, the others on either)")
    p.add_argument("--no-access-log", action="store_true",
                   help="run the instances without the manifest's OXAPI_ACCESS_LOG=1")
    p.add_argument("--proof", action="store_true",
                   help="run tests/cluster/proof.py first even if its report exists")
    p.add_argument("--proof-report", default=str(PROOF_REPORT),
                   help="the proof's report to quote (target/cluster-report.json)")
    p.add_argument("--render", action="store_true",
                   help="write cluster.md again from cluster.json, measuring nothing")
    p.add_argument("--time-limit", type=float,
                   help="seconds the measurement may take after the build and the proof "
                        "(default: from the runs, durations and setups)")
    p.add_argument("--lock-wait", type=float, default=900.0,
                   help="seconds to wait for a running cluster proof to end (900)")
    p.add_argument("--wait-quiet", type=float, default=30.0,
                   help="seconds to wait, before each run and before measuring again, for "
                        "other processes to stop using the CPU (30)")
    p.add_argument("--wait-budget", type=float, default=180.0,
                   help="total seconds spent waiting for a quiet machine (180)")
    p.add_argument("--max-other", type=float, default=25.0,
                   help="measure again when other processes used more than this %% of a "
                        "core (25)")
    p.add_argument("--retries", type=int, default=1,
                   help="how often a noisy measurement is taken again (1)")
    args = p.parse_args(argv)
    args.setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    args.endpoints = [s.strip() for s in args.endpoints.split(",") if s.strip()]
    for s in args.setups:
        if s not in SETUP_NAMES:
            p.error(f"unknown setup {s!r}")
    for e in args.endpoints:
        if e not in ENDPOINT_NAMES:
            p.error(f"unknown endpoint {e!r}")
    if args.runs < 1 or args.duration < 1 or args.warmup < 0:
        p.error("--runs and --duration must be at least 1")
    if args.time_limit is None:
        # Per setup: starting it and the checks; per measurement: two reseeds, the warm-up
        # and the run, taken again at most `retries` times; plus the quiet waits.
        per = (args.warmup + args.duration + 10) * (args.retries + 1)
        args.time_limit = (args.runs * len(args.setups) * (30 + len(args.endpoints) * per)
                           + args.wait_budget + 300)
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.render:
        data = json.loads(RESULTS_JSON.read_text())
        RESULTS_MD.write_text(render_md(data) + "\n")
        run.log(f"wrote {RESULTS_MD.relative_to(ROOT)}")
        return 0
    if os.geteuid() != 0:
        print("error: bench/cluster.py makes network namespaces (`ip netns add`) and needs "
              "root: run it as root (sudo python3 bench/cluster.py)", file=sys.stderr)
        return 2
    if (os.cpu_count() or 1) < 2:
        print("error: needs 2 cores (wrk is pinned to core 1)", file=sys.stderr)
        return 2
    hosts.check_permitted()
    run.raise_file_limit()
    run.ensure_tools()
    nginx.ensure_nginx()
    if args.binary:
        binary = os.path.abspath(args.binary)
    else:
        if not args.no_build:
            run.build("release", ROOT / "Cargo.toml", ("todo",))
        binary = str(RELEASE_BINARY)
    if not os.access(binary, os.X_OK):
        raise Failure(f"no todo binary at {binary}: cargo build --release -p todo")
    failover_figures = failover(args, binary)

    if args.wait_quiet > 0:
        # Before the lock, so that a proof waiting for it is not held up by this wait too.
        run.wait_quiet(args.wait_quiet)
    _lock = hosts.lock(timeout=args.lock_wait)  # released by the kernel when this ends
    for left in hosts.remove_leftovers(POSTGRES_SCRIPT):
        run.log(f"removed a left-over of an earlier run: {left}")

    def interrupt(signum, _frame):
        raise Interrupted(f"signal {signal.Signals(signum).name}")

    def out_of_time(_signum, _frame):
        raise Interrupted(f"the time limit ({args.time_limit:.0f} s) passed")

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, interrupt)
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(int(args.time_limit))
    cluster = Cluster(args, binary)
    t0 = time.monotonic()
    try:
        cluster.set_up()
        payload = cluster.measure_all()
    finally:
        signal.alarm(0)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        run._cleanup()
        cluster.clean_up()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
    payload["wall_seconds"] = round(time.monotonic() - t0)
    machine = run.machine_info()
    machine["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    for key in ("python_packages", "crates"):
        machine.pop(key, None)  # the bench servers' crates and FastAPI: not measured here
    write({"generated": run.now(), "command": "python3 bench/cluster.py " + " ".join(
        sys.argv[1:] if argv is None else argv), "machine": machine, "cluster": payload,
        "failover": failover_figures})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (Failure, Interrupted, RuntimeError) as error:
        run._cleanup()
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
