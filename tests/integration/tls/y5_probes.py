#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What one agent has attached, read from the kernel (test_y5_tls_isolation.sh).

  y5_probes.py links AGENT_PID
      JSON list of the agent's uprobe links, from /proc/AGENT_PID/fdinfo (a
      perf link's fdinfo names the file the probe was attached through, its
      offset and whether it is a return probe):
      [{"name": "/proc/123/root/usr/lib/.../libssl.so.3", "offset": "0x35430",
        "type": "uprobe"|"uretprobe", "prog_id": N}, ...]
  y5_probes.py runs AGENT_PID
      JSON {"tls_enter": run_cnt, "tls_exit": ..., "tls_forget": ..., "ids": [...]}:
      run counts (while statistics are on) of the TLS programs THIS agent
      loaded: the program ids of its file descriptors (fdinfo "prog_id"; this
      bpftool cannot show "pids" itself), counts from `bpftool -j prog show`
      (which leaves run_cnt out while it is 0). Other agents on the machine
      load programs of the same names.
  y5_probes.py hold-stats READY SECONDS
      Turns BPF run-time statistics on with bpf(BPF_ENABLE_STATS) (as
      kernel.bpf_stats_enabled=1 does, but as a reference of its own: another
      process writing 0 to the sysctl meanwhile does not turn them off),
      writes READY, holds the fd SECONDS (stop it earlier by pid).
  y5_probes.py maps-inode PID PATH
      The inode (decimal) of the first mapping of PATH in /proc/PID/maps, or
      nothing.
  y5_probes.py foreign-tls EXCLUDE_INODE...
      How many OpenSSL files other processes of the machine map that are none
      of EXCLUDE_INODE (libssl.so* mappings, and executables named node*,
      which export SSL_read): what a global agent would probe besides the
      test's own, when other tests run at the same time. One line:
      "N <descriptions>".
"""
import json
import os
import subprocess
import sys


def fdinfos(pid):
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                text = f.read()
        except OSError:
            continue  # closed meanwhile
        kv = {}
        for line in text.splitlines():
            k, sep, v = line.partition(":")
            if sep:
                kv[k.strip()] = v.strip()
        yield kv


def links(pid):
    out = []
    for kv in fdinfos(pid):
        if kv.get("link_type") == "perf" and kv.get("event_type") in ("uprobe", "uretprobe"):
            out.append({"name": kv.get("name", ""), "offset": kv.get("offset", ""),
                        "type": kv["event_type"], "prog_id": int(kv.get("prog_id", "0"))})
    return out


def runs(pid):
    ids = set()
    for kv in fdinfos(pid):
        if "prog_id" in kv:
            ids.add(int(kv["prog_id"]))
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], check=True,
                                      capture_output=True, timeout=20).stdout)
    out = {"tls_enter": 0, "tls_exit": 0, "tls_forget": 0, "ids": []}
    for p in progs:
        if p.get("id") in ids and p.get("name") in ("tls_enter", "tls_exit", "tls_forget"):
            # bpftool prints run_time_ns/run_cnt only once the program ran
            out[p["name"]] += p.get("run_cnt", 0)
            out["ids"].append(p["id"])
    if len(out["ids"]) != 3:
        sys.exit("y5_probes: expected the agent's 3 TLS programs, found ids %s" % out["ids"])
    return out


def hold_stats(ready, secs):
    """bpf(BPF_ENABLE_STATS, BPF_STATS_RUN_TIME): run-time statistics on while
    the returned fd is open. It counts as a reference of its own on the
    kernel's switch, so nobody else's write to kernel.bpf_stats_enabled turns
    it off meanwhile, and it ends with this process, however that ends."""
    import ctypes
    import time
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint32 * 32)()  # union bpf_attr, zeroed; enable_stats.type = 0 (RUN_TIME)
    NR_BPF, BPF_ENABLE_STATS = 321, 32  # x86_64
    fd = libc.syscall(NR_BPF, BPF_ENABLE_STATS, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd < 0:
        sys.exit("y5_probes: BPF_ENABLE_STATS failed: errno %d" % ctypes.get_errno())
    with open(ready + ".tmp", "w") as f:
        f.write("fd %d\n" % fd)
    os.rename(ready + ".tmp", ready)
    time.sleep(secs)


def maps_inode(pid, path):
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == path:
                return parts[4]
    return ""


def foreign_tls(exclude):
    seen = {}
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        pid = int(d)
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
            if os.path.basename(exe).startswith("node"):
                st = os.stat("/proc/%d/exe" % pid)
                if str(st.st_ino) not in exclude:
                    seen[("exe", st.st_dev, st.st_ino)] = "%s(pid %d)" % (exe, pid)
            with open("/proc/%d/maps" % pid) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) < 6 or not os.path.basename(parts[5]).startswith("libssl.so"):
                        continue
                    if parts[4] not in exclude:
                        seen[("lib", parts[3], parts[4])] = "%s(pid %d)" % (parts[5], pid)
        except OSError:
            continue  # gone, or a kernel thread
    return seen


def main():
    cmd = sys.argv[1]
    if cmd == "links":
        print(json.dumps(links(int(sys.argv[2]))))
    elif cmd == "runs":
        print(json.dumps(runs(int(sys.argv[2]))))
    elif cmd == "hold-stats":
        hold_stats(sys.argv[2], float(sys.argv[3]))
    elif cmd == "maps-inode":
        print(maps_inode(int(sys.argv[2]), sys.argv[3]))
    elif cmd == "foreign-tls":
        seen = foreign_tls(set(sys.argv[2:]))
        print(len(seen), " ".join(sorted(seen.values())) or "-")
    else:
        sys.exit("y5_probes: unknown command %r" % cmd)


if __name__ == "__main__":
    main()
