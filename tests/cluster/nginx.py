"""nginx, as the proof runs it: deploy/nginx.conf made runnable in a temporary directory,
nginx in the foreground, and what its access and error logs say about the instances."""

import os
import re
import shutil
import signal
import subprocess

from hosts import Failure, children, kill_if_same, run


class Nginx:
    """nginx in the foreground, with its prefix, pid, logs and temporary files in `root`."""

    def __init__(self, root, config_text, state):
        self.root = root
        self.config_path = os.path.join(root, "nginx.conf")
        self.error_log = os.path.join(root, "error.log")
        self.state = state
        self.process = None
        with open(self.config_path, "w", encoding="utf-8") as file:
            file.write(config_text)

    def args(self):
        return ["nginx", "-p", self.root + "/", "-e", self.error_log, "-c", self.config_path]

    def test(self):
        run(*self.args(), "-t", "-q")

    def start(self):
        self.process = subprocess.Popen(
            [*self.args(), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.root, "stderr.log"), "w", encoding="utf-8"),  # noqa: SIM115
        )
        self.state.add_pid(self.process.pid)

    def stop(self):
        """Fast shutdown (SIGTERM: the master stops its workers); SIGKILL for all if stuck."""
        if self.process is None or self.process.poll() is not None:
            return
        workers = children(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid, started in workers:
            kill_if_same(pid, started)


def ensure_nginx():
    """nginx from Debian's package, installed if missing, without starting its service."""
    if shutil.which("nginx"):
        return
    if shutil.which("apt-get") is None:
        raise Failure("nginx is not installed and apt-get is not available")
    # The package starts its system service when installed, unless policy-rc.d says no: say
    # no for the duration of the install (only if no policy is in place already).
    policy = "/usr/sbin/policy-rc.d"
    made_policy = not os.path.exists(policy)
    if made_policy:
        with open(policy, "w", encoding="utf-8") as file:
            file.write("#!/bin/sh\n# made by tests/cluster/proof.py during apt-get install\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        print("installing nginx (apt-get install nginx-light)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "-qq", env=env)
        if run("apt-get", "install", "-y", "-qq", "nginx-light", check=False, env=env).returncode:
            run("apt-get", "install", "-y", "-qq", "nginx", env=env)
    finally:
        if made_policy:
            os.remove(policy)
    if shutil.which("nginx") is None:
        raise Failure("nginx is still missing after apt-get install")


def config(template, port, upstreams, root):
    """deploy/nginx.conf with its instance lines, its `listen` line, and its pid, log and
    temporary paths replaced; every other line as shipped. Fails if a line it replaces is
    missing, so the file cannot change under the test unnoticed."""

    def replace_once(pattern, replacement, text, what):
        result, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        if count != 1:
            raise Failure(f"deploy/nginx.conf: expected one {what}, found {count}")
        return result

    text = replace_once(r"^(\s*)pid\s+\S+;$", rf"\g<1>pid {root}/nginx.pid;", template,
                        "`pid` line")
    text = replace_once(r"^(\s*)error_log\s+\S+(.*);$", rf"\g<1>error_log {root}/error.log\2;",
                        text, "`error_log` line")
    text = replace_once(r"^(\s*)access_log\s+\S+(.*);$",
                        rf"\g<1>access_log {root}/access.log\2;", text, "`access_log` line")
    text = replace_once(r"^(\s*)listen\s+80;$", rf"\g<1>listen 127.0.0.1:{port};", text,
                        "`listen 80;` line")
    temp = "".join(f"\n    {kind}_temp_path {root}/{kind}_temp;"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = replace_once(r"^http \{$", "http {" + temp, text, "`http {` line")
    match = re.search(r"^\s*# BEGIN instances.*?$(.*?)^\s*# END instances", text,
                      flags=re.MULTILINE | re.DOTALL)
    if not match:
        raise Failure("deploy/nginx.conf: no `# BEGIN instances` ... `# END instances` lines")
    block = match.group(1)
    servers = re.findall(r"^(\s*)server\s+\S+(.*);$", block, flags=re.MULTILINE)
    if not servers:
        raise Failure("deploy/nginx.conf: no `server` line between the instance markers")
    indent, parameters = servers[0]
    ours = "".join(f"{indent}server {upstream}{parameters};\n" for upstream in upstreams)
    comments = "".join(line + "\n" for line in block.strip("\n").splitlines()
                       if line.strip().startswith("#"))
    return text[:match.start(1)] + "\n" + comments + ours + text[match.end(1):]


LOG_LINE = re.compile(
    r"^(?P<msec>[\d.]+) (?P<status>\d{3}) \"(?P<method>\S+) [^\"]*\" rid=(?P<rid>\S*) upstream=(?P<upstream>.*?) "
    r"upstream_status=.*? request_time=(?P<request_time>[\d.]+)")


def read_access_log(path):
    """nginx's access log in deploy/nginx.conf's `upstreams` format: when each request began
    and ended, its status, the instance that answered it (the last one tried) and how many
    were tried."""
    entries = []
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.readlines()
    except OSError:
        return entries
    for line in lines:
        match = LOG_LINE.match(line)
        if not match:
            continue
        tried = [addr.strip() for addr in re.split(r"[,:]\s", match["upstream"]) if addr.strip()]
        end = float(match["msec"])
        entries.append({
            "end": end,
            "begin": end - float(match["request_time"]),
            "status": int(match["status"]),
            "upstream": tried[-1] if tried else "-",
            "tries": len(tried),
            "method": match["method"],
            "rid": match["rid"],
        })
    return entries


NGINX_ERROR = re.compile(
    r"\[error\] \d+#\d+: (?:\*\d+ )?(?P<what>connect\(\) failed \(\d+: [^)]*\)|recv\(\) failed \(\d+: [^)]*\)|"
    r"upstream prematurely closed connection|upstream timed out \([^)]*\)|[^,]*?)"
    r"(?: while [^,]*)?, client: .*?upstream: \"http://(?P<upstream>[^/\"]+)")


def upstream_errors(path):
    """How often nginx's error log says each instance refused, reset or cut off a request,
    by kind: `connect() failed (111: Connection refused)` is a port already closed; a reset
    or premature close while reading the response is a request cut off in flight."""
    counts = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                match = NGINX_ERROR.search(line)
                if match:
                    kinds = counts.setdefault(match["upstream"], {})
                    kinds[match["what"]] = kinds.get(match["what"], 0) + 1
    except OSError:
        pass
    return counts
