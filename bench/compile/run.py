#!/usr/bin/env python3
"""Compile-time benchmark: the same N-route API in oxapi, axum + utoipa, and plain axum.

    python3 bench/compile/run.py            # the full run (see README.md for what it does)
    python3 bench/compile/run.py --quick    # 1 repetition, no release, no scaling: a smoke test

What is timed is the crate's own rustc invocation (bench/compile/rustc_timer.py, used as
RUSTC_WRAPPER): dependencies are built once beforehand and not timed. Per crate and
repetition, in this order:

    check    `cargo clean -p` then `cargo check`             (front end only: expansion,
                                                              type and borrow checking)
    dev      `cargo clean -p` then `cargo build`             (cold dev build of the crate)
    incr     change one string in one handler file, `cargo build`   (incremental dev)
    release  `cargo clean -p --release` then `cargo build --release`

Repetitions are interleaved across the crates (the order rotates each repetition), and the
tables report medians. Then the oxapi crate at 50, 100, 200 and 400 routes, dev cold, for
the scaling. Results: bench/compile/results/latest.json and latest.md.

oxapi is built from a snapshot of this checkout's macros/, runtime/ and openapi/ (copied
into the scratch dir when the run starts) so that edits made to the checkout during a run
do not change what is measured; `--live` uses the checkout itself.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parents[1]
GEN = BENCH / "generated"
RESULTS = BENCH / "results"
TIMER = BENCH / "rustc_timer.py"
TIME_LOG = GEN / "rustc-times.jsonl"

sys.dont_write_bytecode = True
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402

KINDS = ["axum", "utoipa", "oxapi"]
LABELS = {
    "axum": "plain axum (floor)",
    "utoipa": "axum + utoipa",
    "oxapi": "oxapi",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def crate_name(kind: str, routes: int | None = None) -> str:
    return f"bench_{kind}" if routes is None else f"bench_{kind}_r{routes}"


def target_dir(kind: str) -> pathlib.Path:
    # The oxapi scaling crates share the oxapi crate's target dir: same dependencies.
    return GEN / "target" / kind


def env_for(kind: str, crate: str | None) -> dict:
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = str(target_dir(kind))
    env["RUSTC_WRAPPER"] = str(TIMER)
    env["BENCH_TIME_LOG"] = str(TIME_LOG)
    env.pop("RUSTFLAGS", None)
    env.pop("CARGO_BUILD_RUSTFLAGS", None)
    env["CARGO_TERM_COLOR"] = "never"
    if crate:
        env["BENCH_TIME_CRATE"] = crate
    else:
        env.pop("BENCH_TIME_CRATE", None)
    return env


def cargo(kind: str, crate_dir: pathlib.Path, args: list[str], crate: str | None = None) -> dict:
    """Runs cargo in `crate_dir`; returns its wall time and the CPU time of cargo and all it
    ran. Fails loudly with cargo's output."""
    start = time.perf_counter()
    with open(GEN / "cargo-output.log", "w+") as output:
        process = subprocess.Popen(
            ["cargo", *args], cwd=crate_dir, env=env_for(kind, crate), stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            print(output.read()[-8000:], file=sys.stderr)
            raise SystemExit(f"cargo {' '.join(args)} failed in {crate_dir}")
    return {"wall": elapsed, "cpu": usage.ru_utime + usage.ru_stime}


def cpu_jiffies() -> tuple[int, int]:
    """(busy, steal) jiffies of the whole machine since boot, from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq, steal


def busy() -> dict:
    """How busy the machine is right now: load average and rustc processes not ours."""
    rustcs = 0
    for proc in pathlib.Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "rustc":
                    rustcs += 1
            except OSError:
                pass
    return {"load1": float(open("/proc/loadavg").read().split()[0]), "other_rustc": rustcs}


def timed_build(kind: str, crate_dir: pathlib.Path, crate: str, args: list[str]) -> dict:
    before = TIME_LOG.read_text().count("\n") if TIME_LOG.exists() else 0
    noise = busy()
    busy0, steal0 = cpu_jiffies()
    run = cargo(kind, crate_dir, args, crate)
    busy1, steal1 = cpu_jiffies()
    tick = os.sysconf("SC_CLK_TCK")
    lines = TIME_LOG.read_text().splitlines()[before:]
    records = [json.loads(line) for line in lines if json.loads(line)["crate"] == crate]
    if len(records) != 1:
        raise SystemExit(f"expected one rustc invocation of {crate}, got {len(records)}: {args}")
    record = records[0]
    record.update(noise)
    record["cargo_wall"] = round(run["wall"], 3)
    # What else ran on the machine meanwhile: CPU seconds not spent by this cargo and its
    # children, and seconds the hypervisor gave our cores to someone else.
    record["others_cpu"] = round(max(0.0, (busy1 - busy0) / tick - run["cpu"]), 2)
    record["steal"] = round((steal1 - steal0) / tick, 2)
    return record


# ---------------------------------------------------------------------------------------
# preparation


def snapshot_oxapi() -> pathlib.Path:
    """Copies the oxapi crates (and the workspace manifest they inherit from) into GEN."""
    dest = GEN / "oxapi-src"
    stage = GEN / "oxapi-src.new"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in ["Cargo.lock", "README.md"]:
        shutil.copy2(REPO / name, stage / name)
    for name in ["macros", "runtime", "openapi"]:
        shutil.copytree(REPO / name, stage / name, ignore=shutil.ignore_patterns("target"))
    manifest = (REPO / "Cargo.toml").read_text()
    members = '["macros", "runtime", "openapi"]'
    manifest = re.sub(r"(?m)^members = \[.*\]$", f"members = {members}", manifest)
    manifest = re.sub(r"(?m)^default-members = \[.*\]$", f"default-members = {members}", manifest)
    (stage / "Cargo.toml").write_text(manifest)
    # Replace the old snapshot only where files differ, so an unchanged snapshot keeps its
    # dependencies fresh in cargo's eyes (cargo compares modification times).
    sync_tree(stage, dest)
    shutil.rmtree(stage)
    return dest / "runtime"


def sync_tree(src: pathlib.Path, dest: pathlib.Path) -> None:
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        out = dest / rel
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif not out.exists() or out.read_bytes() != path.read_bytes():
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)
    for path in sorted(dest.rglob("*"), reverse=True):
        if not (src / path.relative_to(dest)).exists():
            path.unlink() if path.is_file() else shutil.rmtree(path)


def source_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--", "macros", "runtime", "openapi", "Cargo.toml", "Cargo.lock")
    return {"commit": git("rev-parse", "HEAD"), "oxapi_dirty_files": dirty.splitlines()}


def generate_crate(kind: str, routes: int, crate_dir: pathlib.Path, name: str, oxapi_path: pathlib.Path) -> None:
    if kind == "oxapi":
        generate.gen_oxapi(crate_dir, routes, name, str(oxapi_path))
        lock = crate_dir / "Cargo.lock"
        if not lock.exists():
            # The workspace's lock file: oxapi's dependencies at the versions the repo uses.
            shutil.copy2(oxapi_path.parent / "Cargo.lock", lock)
    else:
        generate.gen_axum(crate_dir, routes, name, documented=kind == "utoipa")


def bump_revision(crate_dir: pathlib.Path, routes: int) -> None:
    path = crate_dir / generate.touched_file(routes)
    text = path.read_text()
    match = re.search(r"\(rev-(\d+)\)", text)
    assert match, path
    text = text.replace(match.group(0), f"(rev-{int(match.group(1)) + 1})", 1)
    path.write_text(text)


# ---------------------------------------------------------------------------------------
# reporting


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def summarize(samples: dict) -> dict:
    """samples[kind][mode] = [records] -> medians of wall and cpu seconds."""
    out: dict = {}
    for kind, modes in samples.items():
        out[kind] = {}
        for mode, records in modes.items():
            out[kind][mode] = {
                "wall": median([r["wall"] for r in records]),
                "cpu": median([r["cpu"] for r in records]),
                "n": len(records),
                "wall_min": round(min(r["wall"] for r in records), 2) if records else None,
                "wall_max": round(max(r["wall"] for r in records), 2) if records else None,
            }
    return out


def share(record: dict) -> float:
    """The part of the machine's 2 cores that other work took during a timed build."""
    return record["others_cpu"] / (record["cargo_wall"] * (os.cpu_count() or 1))


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def markdown(report: dict) -> str:
    med = report["medians"]
    modes = [m for m in ["dev", "incr", "release", "check"] if any(m in med[k] for k in med)]
    titles = {"dev": "dev cold", "incr": "dev incremental", "release": "release cold", "check": "check cold"}
    lines = [
        f"# Compile time: {report['routes']} routes",
        "",
        f"{report['started']} · {report['machine']} · rustc {report['rustc']} · "
        f"{report['reps']} repetitions, medians · full run {report['duration_s'] / 60:.1f} min",
        "",
        "Seconds of the benchmark crate's own rustc invocation (dependencies prebuilt), "
        "median of the repetitions; ratio to plain axum.",
        "",
    ]
    for metric, what in [("wall", "wall-clock seconds"), ("cpu", "CPU seconds (user + sys, rustc + linker)")]:
        lines.append(f"## {what}")
        lines.append("")
        header = "| crate | " + " | ".join(f"{titles[m]} | ×axum" for m in modes) + " |"
        lines.append(header)
        lines.append("|---|" + "---:|---:|" * len(modes))
        for kind in KINDS:
            if kind not in med:
                continue
            cells = []
            for mode in modes:
                value = med[kind].get(mode, {}).get(metric)
                floor = med.get("axum", {}).get(mode, {}).get(metric)
                cells.append(f"{value:.2f}" if value is not None else "–")
                cells.append(ratio(value, floor))
            lines.append(f"| {LABELS[kind]} | " + " | ".join(cells) + " |")
        lines.append("")
    if report.get("scaling"):
        lines += [
            "## oxapi scaling (dev cold, medians)",
            "",
            "| routes | wall s | s/route | marginal s/route | CPU s | CPU s/route | marginal CPU s/route |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        prev = None
        for row in report["scaling"]:
            n, wall, cpu = row["routes"], row["wall"], row["cpu"]
            if prev:
                mw = f"{(wall - prev['wall']) / (n - prev['routes']):.4f}"
                mc = f"{(cpu - prev['cpu']) / (n - prev['routes']):.4f}"
            else:
                mw = mc = "–"
            lines.append(f"| {n} | {wall:.2f} | {wall / n:.4f} | {mw} | {cpu:.2f} | {cpu / n:.4f} | {mc} |")
            prev = row
        lines.append("")
    lines += ["## Noise", ""]
    noise = report["noise"]
    lines.append(
        f"Other work during the timed builds (CPU not used by the benchmark's cargo, as a share of "
        f"the {os.cpu_count()} cores over the build's wall time): median {noise['others_cpu_share_median']:.0%}, "
        f"max {noise['others_cpu_share_max']:.0%}; hypervisor steal in all: {noise['steal_s_total']} s; "
        f"builds started while another rustc was running: {noise['builds_with_other_rustc']} of "
        f"{noise['builds']}. Wall times suffer from other work on the cores; CPU times much less "
        "(but not nothing: shared caches and memory bandwidth)."
    )
    lines.append("")
    lines.append("Spread (min–max wall s) per measurement:")
    lines.append("")
    for kind in KINDS:
        if kind in med:
            parts = [
                f"{m} {med[kind][m]['wall_min']}–{med[kind][m]['wall_max']}" for m in modes if m in med[kind]
            ]
            lines.append(f"- {LABELS[kind]}: " + ", ".join(parts))
    lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scale", default="50,100,200,400", help="oxapi route counts for scaling ('' for none)")
    parser.add_argument("--scale-reps", type=int, default=None, help="default: --reps")
    parser.add_argument("--no-release", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--live", action="store_true", help="build oxapi from the checkout, not a snapshot")
    parser.add_argument("--quick", action="store_true", help="1 repetition, no release, no scaling")
    parser.add_argument("--out", default=str(RESULTS / "latest"), help="results path without extension")
    args = parser.parse_args()
    if args.quick:
        args.reps, args.scale, args.no_release = 1, "", True
    kinds = [k for k in args.kinds.split(",") if k]
    scale = [int(n) for n in args.scale.split(",") if n]
    scale_reps = args.scale_reps or args.reps
    started = time.time()

    GEN.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.split()[1]
    state = source_state()
    oxapi_path = (REPO / "runtime") if args.live else snapshot_oxapi()
    log(f"oxapi from {oxapi_path.parent} (commit {state['commit'][:10]}, "
        f"{len(state['oxapi_dirty_files'])} uncommitted changes in its crates)")

    crates = {kind: GEN / kind for kind in kinds}
    for kind, crate_dir in crates.items():
        generate_crate(kind, args.routes, crate_dir, crate_name(kind), oxapi_path)
    scale_dirs = {n: GEN / f"oxapi_r{n}" for n in scale}
    for n, crate_dir in scale_dirs.items():
        generate.gen_oxapi(crate_dir, n, crate_name("oxapi", n), str(oxapi_path))

    # Dependencies (and the crates once): not timed.
    profiles = [[]] if args.no_release else [[], ["--release"]]
    for kind, crate_dir in crates.items():
        for profile in profiles:
            log(f"building dependencies: {kind} {' '.join(profile) or 'dev'}")
            cargo(kind, crate_dir, ["build", *profile])
        if not args.no_check:
            cargo(kind, crate_dir, ["check"])
    if scale and "oxapi" in crates:
        for n, crate_dir in scale_dirs.items():
            shutil.copy2(crates["oxapi"] / "Cargo.lock", crate_dir / "Cargo.lock")
            log(f"building oxapi at {n} routes once")
            cargo("oxapi", crate_dir, ["build"])

    samples: dict = {kind: {} for kind in kinds}
    for rep in range(args.reps):
        order = kinds[rep % len(kinds):] + kinds[: rep % len(kinds)]
        for kind in order:
            crate_dir, name = crates[kind], crate_name(kind)
            steps = []
            if not args.no_check:
                steps.append(("check", ["clean", "-p", name], ["check"]))
            steps.append(("dev", ["clean", "-p", name], ["build"]))
            steps.append(("incr", None, ["build"]))
            if not args.no_release:
                steps.append(("release", ["clean", "-p", name, "--release"], ["build", "--release"]))
            for mode, prepare, build in steps:
                if prepare:
                    cargo(kind, crate_dir, prepare)
                if mode == "incr":
                    bump_revision(crate_dir, args.routes)
                record = timed_build(kind, crate_dir, name, build)
                record.update(rep=rep, kind=kind, mode=mode)
                samples[kind].setdefault(mode, []).append(record)
                log(f"rep {rep + 1}/{args.reps} {kind:6} {mode:7} wall {record['wall']:6.2f} s  "
                    f"cpu {record['cpu']:6.2f} s  (others {share(record):.0%}, steal {record['steal']} s)")

    scaling_samples: dict = {n: [] for n in scale}
    if scale and "oxapi" in crates:
        for rep in range(scale_reps):
            order = scale[rep % len(scale):] + scale[: rep % len(scale)]
            for n in order:
                name = crate_name("oxapi", n)
                cargo("oxapi", scale_dirs[n], ["clean", "-p", name])
                record = timed_build("oxapi", scale_dirs[n], name, ["build"])
                record.update(rep=rep, routes=n)
                scaling_samples[n].append(record)
                log(f"scale rep {rep + 1}/{scale_reps} oxapi {n:4} routes: wall {record['wall']:6.2f} s  "
                    f"cpu {record['cpu']:6.2f} s  (others {share(record):.0%}, steal {record['steal']} s)")

    all_records = [r for modes in samples.values() for rs in modes.values() for r in rs]
    all_records += [r for rs in scaling_samples.values() for r in rs]
    loads = [r["load1"] for r in all_records]
    report = {
        "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
        "duration_s": round(time.time() - started, 1),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "rustc": rustc,
        "routes": args.routes,
        "reps": args.reps,
        "oxapi_source": {**state, "snapshot": not args.live, "path": str(oxapi_path)},
        "medians": summarize(samples),
        "scaling": [
            {"routes": n, "wall": median([r["wall"] for r in rs]), "cpu": median([r["cpu"] for r in rs]), "n": len(rs)}
            for n, rs in scaling_samples.items()
            if rs
        ],
        "noise": {
            "others_cpu_share_median": median([share(r) for r in all_records]) if all_records else None,
            "others_cpu_share_max": round(max(share(r) for r in all_records), 2) if all_records else None,
            "steal_s_total": round(sum(r["steal"] for r in all_records), 1),
            "load1_median": median(loads) if loads else None,
            "load1_max": max(loads) if loads else None,
            "builds_with_other_rustc": sum(1 for r in all_records if r["other_rustc"] > 0),
            "builds": len(all_records),
        },
        "samples": samples,
        "scaling_samples": {str(n): rs for n, rs in scaling_samples.items()},
    }
    out = pathlib.Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    out.with_suffix(".md").write_text(text)
    print()
    print(text)
    log(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
