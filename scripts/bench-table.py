#!/usr/bin/env python3
"""bench-table.py: the two tables of docs/performance.md from a cabinet-bench --json file.

    scripts/bench-table.py [docs/performance/results.json]

Prints Markdown: throughput (req/s, and the multiple of the echo baseline
measured at the same client count in the same run), then p99 latency (and its
multiple of the echo's p99). A '-' is a point that was not run.
"""
import json
import sys


def short_rps(rps):
    return f"{rps / 1000:.1f}k"


def short_us(us):
    if us < 1000:
        return f"{us / 1000:.2f} ms"
    if us < 10000:
        return f"{us / 1000:.1f} ms"
    return f"{us / 1000:.0f} ms"


def table(series, counts, value, ratio_key, fmt):
    lines = ["| server | " + " | ".join(str(c) if i else f"{c} client" + ("s" if c > 1 else "")
                                        for i, c in enumerate(counts)) + " |",
             "|---|" + "---|" * len(counts)]
    for entry in series:
        label = entry["label"]
        if entry.get("floor"):  # "floor pool 1" -> "floor, `--pool 1`"
            label = label.replace("floor pool ", "floor, `--pool ") + ("`" if "pool" in label else "")
            label = label.replace("floor stage", "floor, stage")
        elif not entry.get("baseline"):
            label = label.replace("stage 4 pool ", "stage 4, `--pool ") + ("`" if "pool" in label else "")
        cells = []
        by_count = {p["clients"]: p for p in entry["points"]}
        for count in counts:
            point = by_count.get(count)
            if point is None:
                cells.append("-")
            elif entry.get("baseline") or ratio_key not in point:
                cells.append(fmt(point[value]))
            else:
                cells.append(f"{fmt(point[value])} ({point[ratio_key]:.2f}x)")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/performance/results.json"
    with open(path) as f:
        series = json.load(f)["series"]
    counts = sorted({p["clients"] for entry in series for p in entry["points"]})
    print(table(series, counts, "throughput_rps", "ratio", short_rps))
    print()
    print(table(series, counts, "p99_us", "p99_ratio", short_us))
    errors = sum(p["errors"] for entry in series for p in entry["points"])
    print(f"\nerrors in all points: {errors}")


if __name__ == "__main__":
    main()
