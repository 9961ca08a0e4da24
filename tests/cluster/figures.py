"""The proof's figures: per phase, from the client's records and nginx's log; the table it
prints and the JSON it writes (target/cluster-report.json, for bench/ to quote)."""

import json
import os
import time


def phase_stats(phase, records, log, instances, in_database):
    """One phase's figures: the client's records that began in it, nginx's log entries of
    requests that began in it, and the items the database holds."""
    records = [r for r in records if r.phase == phase["name"]]
    latencies = sorted(r.latency for r in records)
    errors = [r for r in records if not r.ok]
    creates = [r for r in records if r.kind == "create" and r.ok]
    log = [e for e in log if phase["start"] <= e["begin"] < phase["end"]]
    served = {}
    for entry in log:
        if 200 <= entry["status"] < 300:
            served[entry["upstream"]] = served.get(entry["upstream"], 0) + 1
    names = {instance.upstream: instance.name for instance in instances}
    return {
        "name": phase["name"],
        "label": phase["label"],
        "seconds": round(phase["end"] - phase["start"], 2),
        "requests": len(records),
        "errors": len(errors),
        "error_samples": [r.error for r in errors[:5]],
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round((latencies[-1] if latencies else 0) * 1000, 2),
        "creates_acknowledged": len(creates),
        "creates_verified": sum(1 for r in creates if r.item_id in in_database),
        "retried_by_nginx": sum(1 for e in log if e["tries"] > 1),
        "creates_retried_by_nginx": sum(
            1 for e in log if e["tries"] > 1 and e["method"] == "POST"),
        "served_by": {names.get(k, k): v for k, v in sorted(served.items())},
        **{key: value for key, value in phase.items()
           if key in ("h1_exit", "metrics_2xx_since_restart")},
    }

def print_table(phases, writes):
    """The phases as a table, and the writes' summary."""
    print("\n  phase             requests  errors  p50 ms  p99 ms  creates  verified"
          "  retried (POST)  served by h1/h2/h3")
    for phase in phases:
        served = "/".join(str(phase["served_by"].get(f"h{n}", 0)) for n in (1, 2, 3))
        print(f"  {phase['label']:<17} {phase['requests']:>8} {phase['errors']:>7} "
              f"{phase['p50_ms']:>7.1f} {phase['p99_ms']:>7.1f} "
              f"{phase['creates_acknowledged']:>8} {phase['creates_verified']:>9} "
              f"{phase['retried_by_nginx']:>8} ({phase['creates_retried_by_nginx']:>3})  {served}")
    print(f"\n  writes: {writes['acknowledged']} creates answered 2xx, "
          f"{writes['in_database']} items in the database, {writes['lost']} lost, "
          f"{writes['duplicates']} made twice, {writes['failed_but_committed']} "
          "answered with an error but committed", flush=True)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def write_report(path, report):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    report["generated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(path, "w", encoding="utf-8") as file:
        json.dump(report, file, indent=2)
        file.write("\n")
    print(f"report: {path}")
