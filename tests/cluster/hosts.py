"""Three hosts on one machine: network namespaces on a bridge, and the processes they run.

Each host is a network namespace `oxapi-hK` with its own loopback and an `eth0` (one end of
a veth pair) at 10.203.0.1K/24; the other end is enslaved to the bridge `oxapi-br0`, which
holds 10.203.0.1, the address of everything the hosts share (PostgreSQL, the webhook
receiver). nginx runs outside the namespaces, on 127.0.0.1, and reaches the hosts over the
bridge.

Everything made here is written to a state file as it is made, so a later run removes what a
killed run left (its namespaces, bridge, processes and directories) before it starts.
"""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

BRIDGE = "oxapi-br0"
BRIDGE_ADDRESS = "10.203.0.1"
PREFIX = 24
HOSTS = [("oxapi-h1", "10.203.0.11"), ("oxapi-h2", "10.203.0.12"), ("oxapi-h3", "10.203.0.13")]
STATE_FILE = "/tmp/oxapi-cluster-proof.state.json"
LOCK_FILE = "/tmp/oxapi-cluster-proof.lock"


class Failure(Exception):
    """A step of the proof could not be done, or a claim did not hold."""


def run(*args, check=True, capture=True, env=None, input_text=None):
    """Runs a command; with `check`, a non-zero exit raises Failure with its output."""
    done = subprocess.run(
        list(args),
        capture_output=capture,
        text=True,
        env=env,
        input=input_text,
        check=False,
    )
    if check and done.returncode != 0:
        output = ((done.stdout or "") + (done.stderr or "")).strip()
        raise Failure(f"`{' '.join(args)}` exited {done.returncode}: {output}")
    return done


def tail(path, lines=30):
    """The last lines of a file, for a failure message."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return "".join(file.readlines()[-lines:])
    except OSError:
        return "(no log)"


class State:
    """What this run made, on disk, so that a later run can undo it if this one is killed."""

    def __init__(self):
        self.data = {"pids": [], "dirs": [], "postgres_dirs": []}

    def save(self):
        with open(STATE_FILE + ".tmp", "w", encoding="utf-8") as file:
            json.dump(self.data, file)
        os.replace(STATE_FILE + ".tmp", STATE_FILE)

    def add_pid(self, pid):
        """Records a process by its id and start time: a later run kills it only if a process
        with that id started at that time still runs (ids are reused)."""
        self.data["pids"].append({"pid": pid, "start": start_time(pid)})
        self.save()

    def add_dir(self, path, key="dirs"):
        self.data[key].append(path)
        self.save()

    def forget(self):
        try:
            os.remove(STATE_FILE)
        except FileNotFoundError:
            pass


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
            return file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid):
    """When the process started, in clock ticks since boot (stat's 22nd field)."""
    fields = stat_fields(pid)
    return fields[19] if fields else None


def kill_and_wait(pid, sig=signal.SIGKILL, timeout=10.0):
    """Sends `sig` to `pid` and waits until it is gone (reaped by us or by init)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reaps it if it is our child; otherwise raises ChildProcessError.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        fields = stat_fields(pid)
        if fields is None or fields[0] == "Z":
            return
        time.sleep(0.05)


def namespace_pids(namespace):
    done = run("ip", "netns", "pids", namespace, check=False)
    return [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []


def namespaces():
    done = run("ip", "netns", "list", check=False)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def lock(timeout):
    """Holds the machine-wide lock of the proof (the namespaces' names are fixed, so two runs
    at once would take each other's for left-overs): waits up to `timeout` seconds for
    another run to end. The kernel releases it when this process ends, however it ends."""
    handle = open(LOCK_FILE, "w", encoding="utf-8")  # noqa: SIM115 (held until exit)
    deadline = time.monotonic() + timeout
    said = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise Failure(f"another cluster proof held {LOCK_FILE} for {timeout:.0f} s")
            if not said:
                print(f"waiting for another cluster proof to end ({LOCK_FILE})", flush=True)
                said = True
            time.sleep(1)


def remove_leftovers(postgres_script):
    """Undoes what an earlier run left: its processes (by recorded id and command line),
    its PostgreSQL and directories, then every process in our namespaces, the namespaces and
    the bridge."""
    found = []
    try:
        with open(STATE_FILE, encoding="utf-8") as file:
            state = json.load(file)
    except (OSError, ValueError):
        state = {}
    for entry in state.get("pids", []):
        pid = entry.get("pid")
        if pid and entry.get("start") and start_time(pid) == entry["start"]:
            found.append(f"process {pid}")
            # nginx's master stops its workers on SIGTERM; whatever is left is killed.
            spawned = children(pid)
            kill_and_wait(pid, signal.SIGTERM, timeout=5)
            kill_and_wait(pid)
            for child, started in spawned:
                kill_if_same(child, started)
    for path in state.get("postgres_dirs", []):
        if os.path.exists(path):
            found.append(f"PostgreSQL in {path}")
            run("bash", postgres_script, "stop", path, check=False)
    for path in state.get("dirs", []):
        if os.path.exists(path):
            found.append(path)
            shutil.rmtree(path, ignore_errors=True)
    present = namespaces()
    for namespace, _ in HOSTS:
        if namespace in present:
            for pid in namespace_pids(namespace):
                found.append(f"process {pid} in {namespace}")
                kill_and_wait(pid)
            run("ip", "netns", "del", namespace, check=False)
            found.append(f"namespace {namespace}")
    if run("ip", "link", "show", BRIDGE, check=False).returncode == 0:
        run("ip", "link", "del", BRIDGE, check=False)
        found.append(f"bridge {BRIDGE}")
    try:
        os.remove(STATE_FILE)
    except FileNotFoundError:
        pass
    return found


def check_permitted():
    """Fails with a clear message if this process cannot make network namespaces."""
    if os.geteuid() != 0:
        raise Failure(
            "the proof makes network namespaces (`ip netns add`) and needs root: "
            "run it as root (CI does)"
        )
    if shutil.which("ip") is None:
        raise Failure("`ip` (iproute2) is not installed: apt-get install iproute2")
    probe = "oxapi-probe"
    if probe in namespaces():
        run("ip", "netns", "del", probe, check=False)
    done = run("ip", "netns", "add", probe, check=False)
    if done.returncode != 0:
        raise Failure(
            "`ip netns add` is not permitted here, so the three hosts cannot be made: "
            + (done.stderr or "").strip()
        )
    run("ip", "netns", "del", probe, check=False)


def make_network():
    """The bridge and the three namespaces, each with loopback and eth0 up."""
    run("ip", "link", "add", BRIDGE, "type", "bridge")
    run("ip", "addr", "add", f"{BRIDGE_ADDRESS}/{PREFIX}", "dev", BRIDGE)
    run("ip", "link", "set", BRIDGE, "up")
    for namespace, address in HOSTS:
        run("ip", "netns", "add", namespace)
        # The host's end is named after the namespace; the namespace's end is its eth0.
        run("ip", "link", "add", namespace, "type", "veth", "peer", "name", "eth0", "netns",
            namespace)
        run("ip", "link", "set", namespace, "master", BRIDGE)
        run("ip", "link", "set", namespace, "up")
        inside = ("ip", "netns", "exec", namespace)
        run(*inside, "ip", "link", "set", "lo", "up")
        run(*inside, "ip", "addr", "add", f"{address}/{PREFIX}", "dev", "eth0")
        run(*inside, "ip", "link", "set", "eth0", "up")


def tear_down(postgres_script, postgres_dir, network, tmp, state):
    """What a run built besides its processes: the PostgreSQL cluster in `postgres_dir` (if
    started), the hosts' network (if made), the temporary directory `tmp`; then `state` is
    forgotten. Says which namespaces are left, if any."""
    if postgres_dir is not None:
        run("bash", postgres_script, "stop", postgres_dir, check=False)
    if network:
        remove_network()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    state.forget()
    left = [name for name, _ in HOSTS if name in namespaces()]
    if left:
        print(f"  could not remove namespaces {left}", file=sys.stderr)


def remove_network():
    for namespace, _ in HOSTS:
        for pid in namespace_pids(namespace):
            kill_and_wait(pid)
        # Deleting the namespace deletes its veth pair.
        run("ip", "netns", "del", namespace, check=False)
    run("ip", "link", "del", BRIDGE, check=False)


class Instance:
    """One todo process in one namespace, started again as often as asked."""

    def __init__(self, index, namespace, address, port, argv, env, log_dir, state):
        self.index = index
        self.name = f"h{index}"
        self.namespace = namespace
        self.address = address
        self.port = port
        self.argv = argv
        self.env = env
        self.log_dir = log_dir
        self.state = state
        self.process = None
        self.starts = 0
        self.log_path = None

    @property
    def upstream(self):
        return f"{self.address}:{self.port}"

    @property
    def base_url(self):
        return f"http://{self.upstream}"

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.log_dir, f"{self.name}-{self.starts}.log")
        log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 (the child keeps it)
        # `ip netns exec` enters the namespace and execs the program: the pid is todo's own.
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, *self.argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
        )
        log.close()
        self.state.add_pid(self.process.pid)

    def log_paths(self):
        """The logs of each of its starts, first to last."""
        return [os.path.join(self.log_dir, f"{self.name}-{start}.log")
                for start in range(1, self.starts + 1)]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def signal(self, sig):
        if self.alive():
            self.process.send_signal(sig)

    def wait(self, timeout):
        """The exit code, or None if it is still running after `timeout` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            kill_and_wait(self.process.pid)
            self.process.wait()


def children(pid):
    """A process's children, each as (pid, start time)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="utf-8") as file:
            found = [int(child) for child in file.read().split()]
    except OSError:
        return []
    return [(child, start_time(child)) for child in found]


def kill_if_same(pid, start):
    """Kills `pid` only if it is still the process that started at `start`."""
    if start is not None and start_time(pid) == start:
        kill_and_wait(pid)
