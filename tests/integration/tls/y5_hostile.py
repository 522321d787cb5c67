#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Hostile TLS users for test_y5_tls_isolation.sh (part c).

  y5_hostile.py garbage HOST PORT SEED NBYTES [PREFIX]
      Completes a TLS handshake (python ssl, certificate not verified), then
      sends PREFIX (text, "\\r\\n" understood) + NBYTES pseudo-random bytes
      (random.Random(SEED): the same bytes every run) as plaintext and reads
      until the server closes (10 s at most). One JSON line: {"pid",
      "local_port", "tls_version", "sent", "received", "first_line", "end"}.
  y5_hostile.py unmap LIB READY GO
      Loads LIB (a copy of libssl.so.3) with ctypes, calls SSL_CTX_new,
      SSL_new, SSL_read and SSL_write on an SSL with no socket (both fail at
      once), SSL_free and SSL_CTX_free; writes READY.1 ("<pid> mapped");
      waits for GO.1; dlclose()s it (Debian's libssl is NODELETE: nothing is
      unmapped), then munmap()s every mapping of LIB itself, checks
      /proc/self/maps has none left, and maps a file executable with mmap (a
      new executable mapping: the agent reads its maps again); writes
      READY.2 ("<pid> unmapped <maps lines before> <after> <dlclose kept>
      <lib>"); waits for GO.2; leaves with _exit (libcrypto's atexit cleanup
      would call into the unmapped libssl). Waits are 20 s at most.
  y5_hostile.py exec HOST PORT PATH1 URL2
      One HTTPS request (http.client, GET PATH1) on a keep-alive connection,
      prints {"pid", "local_port", "status", "size"} and, with that connection
      still open (its SSL never freed, its socket closed by the exec), execs
      curl -k for URL2 in the same process (curl's -w line follows on stdout:
      "<status> <local port> <size>").
"""
import ctypes
import http.client
import json
import mmap
import os
import random
import socket
import ssl
import sys
import time


def garbage(host, port, seed, n, prefix=""):
    ctx = ssl._create_unverified_context()
    raw = socket.create_connection((host, port), timeout=10)
    t = ctx.wrap_socket(raw)
    lport, version = t.getsockname()[1], t.version()
    data = prefix.replace("\\r", "\r").replace("\\n", "\n").encode() + random.Random(seed).randbytes(n)
    end = "eof"
    t.sendall(data)
    got = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            b = t.recv(65536)
        except (ssl.SSLError, OSError) as e:
            end = "error: %s" % e.__class__.__name__
            break
        if not b:
            break
        got += b
    else:
        end = "timeout"
    try:
        t.close()
    except OSError:
        pass
    print(json.dumps({"pid": os.getpid(), "local_port": lport, "tls_version": version,
                      "sent": len(data), "received": len(got),
                      "first_line": got.split(b"\r\n", 1)[0].decode("latin-1"), "end": end}))


def wait_file(path):
    end = time.monotonic() + 20
    while not os.path.exists(path):
        if time.monotonic() > end:
            sys.stderr.write("y5_hostile: timed out waiting for %s\n" % path)
            os._exit(3)
        time.sleep(0.02)


def write_file(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text + "\n")
    os.rename(path + ".tmp", path)


def maps_of(path):
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()
            if len(p) >= 6 and p[5] == path:
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                out.append((lo, hi))
    return out


def unmap(lib, ready, go):
    lib = os.path.realpath(lib)
    h = ctypes.CDLL(lib)
    vp = ctypes.c_void_p
    h.TLS_method.restype = vp
    h.SSL_CTX_new.restype, h.SSL_CTX_new.argtypes = vp, [vp]
    h.SSL_new.restype, h.SSL_new.argtypes = vp, [vp]
    h.SSL_read.argtypes = h.SSL_write.argtypes = [vp, ctypes.c_char_p, ctypes.c_int]
    h.SSL_free.argtypes = h.SSL_CTX_free.argtypes = [vp]
    ctx = h.SSL_CTX_new(h.TLS_method())
    s = h.SSL_new(ctx)
    if not ctx or not s:
        sys.stderr.write("y5_hostile: SSL_CTX_new/SSL_new failed\n")
        os._exit(2)
    buf = ctypes.create_string_buffer(64)
    r1 = h.SSL_read(s, buf, 64)
    r2 = h.SSL_write(s, b"x" * 16, 16)
    h.SSL_free(s)
    h.SSL_CTX_free(ctx)
    before = maps_of(lib)
    write_file(ready + ".1", "%d mapped %d %d %d" % (os.getpid(), len(before), r1, r2))
    wait_file(go + ".1")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.dlclose.argtypes = [vp]
    libc.dlclose(h._handle)
    kept = len(maps_of(lib))
    libc.munmap.argtypes = [vp, ctypes.c_size_t]
    for lo, hi in maps_of(lib):
        if libc.munmap(lo, hi - lo):
            sys.stderr.write("y5_hostile: munmap failed: errno %d\n" % ctypes.get_errno())
            os._exit(2)
    after = len(maps_of(lib))
    # a new executable mapping (the agent reads this process's maps again),
    # made with mmap itself: dlopen after the munmap would walk libssl's
    # link_map into the unmapped pages and crash
    other = "/usr/lib/x86_64-linux-gnu/libuuid.so.1"
    fd = os.open(other, os.O_RDONLY)
    code = mmap.mmap(fd, 4096, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_EXEC)
    os.close(fd)
    write_file(ready + ".2", "%d unmapped %d %d %d %s" % (os.getpid(), len(before), after, kept, other))
    wait_file(go + ".2")
    code.close()
    sys.stdout.flush()
    os._exit(0)


def exec_after_tls(host, port, path1, url2):
    ctx = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection(host, port, timeout=10, context=ctx)
    conn.request("GET", path1)
    resp = conn.getresponse()
    body = resp.read()
    print(json.dumps({"pid": os.getpid(), "local_port": conn.sock.getsockname()[1],
                      "status": resp.status, "size": len(body)}), flush=True)
    # no conn.close(): the SSL is never freed; the socket (CLOEXEC) dies in the exec
    os.execv("/usr/bin/curl", ["curl", "-sS", "-k", "--http1.1", "--max-time", "10", "-o", "/dev/null",
                               "-w", "%{http_code} %{local_port} %{size_download}\n", url2])


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "garbage":
        garbage(a[0], int(a[1]), int(a[2]), int(a[3]), a[4] if len(a) > 4 else "")
    elif cmd == "unmap":
        unmap(a[0], a[1], a[2])
    elif cmd == "exec":
        exec_after_tls(a[0], int(a[1]), a[2], a[3])
    else:
        sys.exit("y5_hostile: unknown command %r" % cmd)


if __name__ == "__main__":
    main()
