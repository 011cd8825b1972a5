#!/usr/bin/env python3
"""trace2dot.py: draws one request of a `cabinetd --trace` file as a Graphviz picture.

    tools/trace2dot.py TRACE.json [--request ID] > request.dot && dot -Tsvg request.dot > request.svg

One box per process and thread the request passed through (the server's connection
thread, the service child's main thread and request thread), its hops inside in time
order, and arrows from hop to hop labelled with the time between them. Without
--request it draws the first request that reached a service child.
"""
import argparse
import json
import sys


def load_hops(path):
    with open(path, encoding="utf-8") as trace:
        events = json.load(trace)
    return [e for e in events if e.get("ph") == "X" and "request" in e.get("args", {})]


def pick_request(hops, wanted):
    if wanted is not None:
        return wanted
    server_pid = min(e["pid"] for e in hops)  # the server started first
    for event in sorted(hops, key=lambda e: e["ts"]):
        if event["pid"] != server_pid:
            return event["args"]["request"]
    return hops[0]["args"]["request"]


def lane_name(event, server_pid, names):
    pid, tid = event["pid"], event["tid"]
    if pid == server_pid:
        return f"server pid {pid}\\nconnection thread {tid}"
    role = "main thread" if tid == pid else "request thread"
    return f"service child pid {pid}\\n{role} {tid}"


def to_dot(hops, request):
    mine = sorted((e for e in hops if e["args"]["request"] == request), key=lambda e: e["ts"])
    if not mine:
        sys.exit(f"trace2dot: no hops for request {request}")
    server_pid = min(e["pid"] for e in hops)
    lanes = {}
    for index, event in enumerate(mine):
        lanes.setdefault(lane_name(event, server_pid, lanes), []).append(index)
    out = [f'digraph request_{request} {{',
           '  rankdir=TB; fontname="Helvetica"; node [shape=box, style="rounded,filled", fontname="Helvetica"];',
           f'  label="request {request}: {len(mine)} hops, {mine[-1]["ts"] - mine[0]["ts"]:.0f} µs"; labelloc=t;']
    colours = ["#dbeafe", "#dcfce7", "#fef9c3", "#fde2e4"]
    for number, (lane, indices) in enumerate(lanes.items()):
        out.append(f'  subgraph cluster_{number} {{ label="{lane}"; style=filled; color="{colours[number % 4]}";')
        for index in indices:
            event = mine[index]
            extra = f"\\n{event['dur']:.0f} µs" if event.get("dur", 0) > 1 else ""
            out.append(f'    hop{index} [label="{event["name"]}{extra}", fillcolor=white];')
        out.append("  }")
    for index in range(1, len(mine)):
        gap = mine[index]["ts"] - mine[index - 1]["ts"]
        out.append(f'  hop{index - 1} -> hop{index} [label="+{gap:.0f} µs"];')
    out.append("}")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="a file written by cabinetd --trace")
    parser.add_argument("--request", type=int, help="the request's trace id (args.request)")
    args = parser.parse_args()
    hops = load_hops(args.trace)
    if not hops:
        sys.exit("trace2dot: the trace holds no request hops")
    print(to_dot(hops, pick_request(hops, args.request)))


if __name__ == "__main__":
    main()
