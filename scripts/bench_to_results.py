#!/usr/bin/env python3
"""Turns Google Benchmark JSON into kefu's result records (one JSON list per program)."""
import datetime
import json
import subprocess
import sys


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    raw, program, command = sys.argv[1], sys.argv[2], sys.argv[3]
    data = json.load(open(raw))
    meta = {"command": command, "commit": commit(), "cpu": cpu_model(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "program": program}
    out = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        out.append(dict(meta, name=b["name"], value=b["real_time"], unit=b.get("time_unit", "ns") + "/op"))
        if "items_per_second" in b:
            out.append(dict(meta, name=b["name"] + "/items_per_second", value=b["items_per_second"],
                            unit="items/s"))
        standard = {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                    "repetitions", "repetition_index", "threads", "iterations", "real_time",
                    "cpu_time", "time_unit", "items_per_second", "bytes_per_second", "label"}
        for key, value in b.items():
            # User counters (e.g. cpu_us_per_packet) are the other numeric fields.
            if key not in standard and isinstance(value, (int, float)):
                out.append(dict(meta, name=f"{b['name']}/{key}", value=value, unit=key))
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
