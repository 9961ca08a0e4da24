#!/usr/bin/env python3
"""RUSTC_WRAPPER for run.py: runs rustc; when it compiles the crate named in
$BENCH_TIME_CRATE, appends one JSON line to $BENCH_TIME_LOG with the wall time and the
CPU time (user + system, rustc and its children: the linker) of that one invocation.

Timing the crate's own rustc invocation, rather than the whole `cargo build`, leaves out
cargo's start-up and fingerprint checks, and any dependency that had to be rebuilt.
"""

import json
import os
import subprocess
import sys
import time


def main() -> int:
    rustc, args = sys.argv[1], sys.argv[2:]
    crate = os.environ.get("BENCH_TIME_CRATE")
    timed = False
    if crate:
        for i, arg in enumerate(args[:-1]):
            if arg == "--crate-name" and args[i + 1] == crate:
                timed = True
                break
    if not timed:
        os.execvp(rustc, [rustc, *args])
    start = time.perf_counter()
    process = subprocess.Popen([rustc, *args])
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    record = {
        "crate": crate,
        "wall": round(wall, 3),
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),
        "user": round(usage.ru_utime, 3),
        "sys": round(usage.ru_stime, 3),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "check": any(a.startswith("--emit=") and "link" not in a for a in args),
        "release": any(a.startswith("opt-level=") and a != "opt-level=0" for a in args),
        "exit": code,
    }
    log = os.environ.get("BENCH_TIME_LOG")
    if log:
        with open(log, "a") as out:
            out.write(json.dumps(record) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
