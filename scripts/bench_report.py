#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The figures of `make bench` (scripts/bench.sh), in two steps.

  bench_report.py arm OUT.json ARM KEY=VALUE...   one arm's raw files -> its figures
  bench_report.py report DIR [JSON_OUT]           every arm's figures -> the table

An arm's raw inputs (all optional but its name):
  untraced=, traced=        wrk outputs with a "ZT_WRK ..." line (report.lua),
                            or redis-benchmark --csv outputs
  untraced_after=           the untraced run again, after the agent stopped:
                            the ratio's base is the mean of the two, so that
                            the machine drifting over an arm (its neighbours,
                            the last arm's teardown) does not pass for the
                            agent's cost
  stats_run=                the run made while bpf_stats were on (its requests)
  bpf0=, bpf1=              per-program snapshots (bpftool prog show -j, the
                            agent's programs only) around that run
  final=                    a file holding the agent's "zerotrace: final" line
  ticks=, hz=               the agent's CPU ticks over the traced run
  hwm_kb=                   the agent's VmHWM at its stop
  requests=                 requests per load run, where its output does not say
  spans=                    spans written (JSON lines arms)
  tax=                      a file of "dd|getppid untraced_ns traced_ns" lines
  open_conns=               connections the conns arm held open
  replay_ir_none=, replay_ir_jsonl=   instructions per event of a replay
                            (scripts/replay_cost.sh)
  uprobe=                   a file of "int3|nop5 unprobed_ns probed_ns" lines:
                            a call of a function with no probe and with one

The report prints one table: each goal of issue 14 with its figure and PASS
or FAIL, then the informative figures; with JSON_OUT it writes the same as
JSON for comparison across commits.
"""
import json
import os
import re
import statistics
import subprocess
import sys


def wrk_summary(path):
    text = open(path).read()
    m = re.search(r"^ZT_WRK (.*)$", text, re.M)
    if m:
        v = {k: int(x) for k, x in (kv.split("=") for kv in m.group(1).split())}
        return {"rps": v["requests"] / (v["duration_us"] / 1e6), "requests": v["requests"],
                "seconds": v["duration_us"] / 1e6, "p99_us": v["p99_us"], "errors": v["errors"]}
    # redis-benchmark --csv: "test","rps",...; the slowest command is the figure
    rows = re.findall(r'^"([A-Z_]+)[^"]*","([0-9.]+)"', text, re.M)
    if not rows:
        raise SystemExit("bench_report: no wrk or redis-benchmark summary in %s" % path)
    rps = {name: float(r) for name, r in rows}
    return {"rps": min(rps.values()), "by_command": rps}


def bpf_delta(before, after):
    """name -> [run_time_ns, run_cnt] over the stats window."""
    b = {p["id"]: p for p in json.load(open(before))}
    out = {}
    for p in json.load(open(after)):
        q = b.get(p["id"], {})
        ns = p.get("run_time_ns", 0) - q.get("run_time_ns", 0)
        cnt = p.get("run_cnt", 0) - q.get("run_cnt", 0)
        if cnt > 0:
            acc = out.setdefault(p["name"], [0, 0])
            acc[0] += ns
            acc[1] += cnt
    return out


def arm(out_path, name, kv):
    r = {"arm": name}
    if "untraced" in kv:
        u, t = wrk_summary(kv["untraced"]), wrk_summary(kv["traced"])
        if "untraced_after" in kv:
            runs = [u, wrk_summary(kv["untraced_after"])]
            u = dict(runs[0])
            for k in ("rps", "p99_us"):
                if all(k in x for x in runs):
                    u[k] = statistics.mean(x[k] for x in runs)
            u["runs_rps"] = [x["rps"] for x in runs]
        r["untraced"], r["traced"] = u, t
        r["ratio"] = t["rps"] / u["rps"]
        if "p99_us" in u:
            r["p99_ratio"] = t["p99_us"] / max(u["p99_us"], 1)
    if "final" in kv:
        line = open(kv["final"]).read().split()
        final = dict(x.split("=", 1) for x in line[2:] if "=" in x)
        r["counters"] = {k: int(v) for k, v in final.items() if v.isdigit()}
    if "ticks" in kv and "traced" in r:
        cpu_ns = int(kv["ticks"]) / int(kv["hz"]) * 1e9
        events = r.get("counters", {}).get("events", 0)
        requests = r["traced"].get("requests") or float(kv["requests"])
        r["agent_ns_per_request"] = cpu_ns / max(requests, 1)
        r["agent_ns_per_event"] = cpu_ns / max(events, 1)
        if "spans" in kv:
            r["agent_ns_per_span"] = cpu_ns / max(int(kv["spans"]), 1)
    if "bpf0" in kv:
        st = wrk_summary(kv["stats_run"])
        requests = st.get("requests") or float(kv["requests"])
        progs = bpf_delta(kv["bpf0"], kv["bpf1"])
        total = sum(ns for ns, _ in progs.values())
        sock = sum(progs.get(p, [0, 0])[1] for p in ("sock_send_length", "sock_recv_length"))
        r["bpf"] = {"requests": requests, "ns_per_request": total / max(requests, 1),
                    "runs_per_request": sum(c for _, c in progs.values()) / max(requests, 1),
                    "socket_syscalls": sock, "ns_per_socket_syscall": total / sock if sock else None,
                    "programs": progs}
    if "hwm_kb" in kv:
        r["hwm_kb"] = int(kv["hwm_kb"])
    if "tax" in kv:
        pairs = {}
        for line in open(kv["tax"]):
            what, u, t = line.split()
            pairs.setdefault(what, []).append(int(t) - int(u))
        r["tax_ns"] = {w: statistics.median(d) for w, d in pairs.items()}
        r["tax_pairs"] = pairs
    if "uprobe" in kv:
        r["uprobe_hit_ns"] = {}
        for line in open(kv["uprobe"]):
            what, u, t = line.split()
            r["uprobe_hit_ns"][what] = int(t) - int(u)
    for k in ("open_conns", "replay_ir_none", "replay_ir_jsonl"):
        if k in kv:
            r[k] = float(kv[k])
    json.dump(r, open(out_path, "w"), indent=1)


def get(arms, name, *path):
    v = arms.get(name)
    for p in path:
        if v is None:
            return None
        v = v.get(p) if isinstance(v, dict) else None
    return v


def prog_ns_per(arms, name, progs, per):
    """BPF ns of programs whose names start with one of progs, per run of `per`."""
    p = get(arms, name, "bpf", "programs")
    if not p:
        return None
    ns = sum(v[0] for k, v in p.items() if k.startswith(progs))
    runs = sum(v[1] for k, v in p.items() if k.startswith(per))
    return ns / runs if runs else None


GOALS = [
    # label, arm, path, sense, target, unit
    ("file read/write tax (dd bs=1), ns per syscall", "tax", ("tax_ns", "dd"), "<=", 100, "ns"),
    ("getppid tax, ns per syscall", "tax", ("tax_ns", "getppid"), "<=", 100, "ns"),
    ("BPF ns per socket syscall (nginx)", "http", ("bpf", "ns_per_socket_syscall"), "<=", 300, "ns"),
    ("nginx throughput ratio, output none", "http", ("ratio",), ">=", 0.90, ""),
    ("nginx p99 latency ratio, output none", "http", ("p99_ratio",), "<=", 1.15, ""),
    ("nginx throughput ratio, JSON lines", "http-jsonl", ("ratio",), ">=", 0.85, ""),
    ("agent CPU ns per event, OTLP", "http-otlp", ("agent_ns_per_event",), "<=", 250, "ns"),
    ("agent CPU ns per span, JSON lines", "http-jsonl", ("agent_ns_per_span",), "<=", 1000, "ns"),
    ("redis-benchmark -P 1 GET/SET ratio (slowest)", "redis", ("ratio",), ">=", 0.85, ""),
    ("nginx HTTPS throughput ratio", "https", ("ratio",), ">=", 0.85, ""),
    ("Go net/http ratio, goroutine probes", "go-handoffs", ("ratio",), ">=", 0.85, ""),
    ("agent peak RSS at 10,000 connections", "conns", ("hwm_kb",), "<=", 64 * 1024, "KiB"),
]


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float) and v < 10:
        return "%.3f%s" % (v, unit and " " + unit)
    return "%.0f%s" % (v, unit and " " + unit)


def report(d, json_out):
    arms = {}
    for f in sorted(os.listdir(d)):
        if f.startswith("arm.") and f.endswith(".json"):
            a = json.load(open(os.path.join(d, f)))
            arms[a["arm"]] = a
    rows, failed = [], 0
    for label, name, path, sense, target, unit in GOALS:
        v = get(arms, name, *path)
        if v is None:
            verdict = "not run"
        elif (v <= target) if sense == "<=" else (v >= target):
            verdict = "PASS"
        else:
            verdict = "FAIL"
            failed += 1
        rows.append({"goal": label, "arm": name, "value": v, "target": "%s %s" % (sense, target),
                     "unit": unit, "result": verdict})
    lost = {}
    for a in arms.values():
        for k in ("ringbuf_drops", "parse_misses", "stash_drops", "pipeline_drops", "output_drops"):
            n = a.get("counters", {}).get(k)
            if n:
                lost["%s:%s" % (a["arm"], k)] = n
    rows.append({"goal": "lost data (ring-buffer drops, parse misses, ...)", "arm": "all",
                 "value": sum(lost.values()), "target": "== 0", "unit": "",
                 "result": "FAIL" if lost else "PASS"})
    failed += bool(lost)
    info = {
        "BPF ns per request (nginx, bpf_stats on)": get(arms, "http", "bpf", "ns_per_request"),
        "BPF program runs per request (nginx)": get(arms, "http", "bpf", "runs_per_request"),
        "agent CPU ns per request, output none": get(arms, "http", "agent_ns_per_request"),
        "agent CPU ns per event, output none": get(arms, "http", "agent_ns_per_event"),
        "BPF ns per TLS call (uprobes, nginx+wrk)": prog_ns_per(arms, "https", ("tls_", "go_tls_"),
                                                               ("tls_enter", "go_tls_enter")),
        "BPF ns per Go runtime probe run (go-handoffs)": prog_ns_per(arms, "go-handoffs",
                                                                     ("go_newproc", "go_http"),
                                                                     ("go_newproc", "go_http")),
        "uprobe hit, ns (int3: entry of SSL_read, Go)": get(arms, "uprobe", "uprobe_hit_ns", "int3"),
        "uprobe hit, ns (on a 5-byte nop: optimized)": get(arms, "uprobe", "uprobe_hit_ns", "nop5"),
        "dd tax with --logs on, ns per syscall (non-socket write)": get(arms, "tax", "tax_ns",
                                                                         "dd_logs"),
        "agent CPU ns per request, nginx access log, no --logs": get(arms, "http-logs-off",
                                                                      "agent_ns_per_request"),
        "agent CPU ns per request, nginx access log, --logs": get(arms, "http-logs",
                                                               "agent_ns_per_request"),
        "BPF ns per request, nginx access log, no --logs": get(arms, "http-logs-off", "bpf",
                                                               "ns_per_request"),
        "BPF ns per request, nginx access log, --logs": get(arms, "http-logs", "bpf",
                                                            "ns_per_request"),
        "agent peak RSS over the bench (KiB)": max((a.get("hwm_kb", 0) for a in arms.values()),
                                                   default=None),
        "replay instructions per event, output none": get(arms, "replay", "replay_ir_none"),
        "replay instructions per event, JSON lines": get(arms, "replay", "replay_ir_jsonl"),
    }
    info["nginx access log ratio, no --logs"] = get(arms, "http-logs-off", "ratio")
    info["nginx access log ratio, --logs"] = get(arms, "http-logs", "ratio")
    for name in ("http", "http-jsonl", "http-logs-off", "http-logs", "http-otlp", "redis",
                 "https", "go", "go-handoffs", "go-https"):
        if name in arms and "ratio" in arms[name]:
            info["%s: untraced / traced req/s" % name] = "%.0f / %.0f" % (
                arms[name]["untraced"]["rps"], arms[name]["traced"]["rps"])
    print("%-46s %14s %10s  %s" % ("goal (issue 14)", "measured", "target", "result"))
    for r in rows:
        print("%-46s %14s %10s  %s" % (r["goal"], fmt(r["value"], r["unit"]), r["target"],
                                       r["result"]))
    for k, v in lost.items():
        print("  lost: %s = %d" % (k, v))
    print()
    for k, v in info.items():
        print("%-46s %14s" % (k, v if isinstance(v, str) else fmt(v)))
    progs = get(arms, "http", "bpf", "programs")
    if progs:
        req = arms["http"]["bpf"]["requests"]
        print("\nBPF programs on the nginx arm (bpf_stats on: each run costs ~40-70 ns more):")
        for name, (ns, cnt) in sorted(progs.items(), key=lambda x: -x[1][0]):
            print("  %-24s %6.2f runs/request %7.0f ns/run %7.0f ns/request"
                  % (name, cnt / req, ns / cnt, ns / req))
    print("\n%d of %d goals failed" % (failed, len(rows)))
    if json_out:
        commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                                 "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        json.dump({"commit": commit, "goals": rows, "info": info, "arms": arms},
                  open(json_out, "w"), indent=1)
        print("bench: figures written to %s" % json_out)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "arm":
        kv = dict(a.split("=", 1) for a in sys.argv[4:])
        arm(sys.argv[2], sys.argv[3], kv)
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
