"""HTTP/1.1 server that answers each request late, in one send.

A client that has given up by then (curl --max-time, or one that closes
right after sending) resets the connection; on loopback that reset reaches
this socket inside the send that provokes it. Prints one line per request:
"sent N" (bytes the kernel accepted) or "send error: ...".
"""
import argparse
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--count", type=int, required=True)
ap.add_argument("--delay", type=float, required=True)
ap.add_argument("--body", type=int, default=1000)
a = ap.parse_args()

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", a.port))
lsock.listen(16)
print("listening", flush=True)
response = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
            % a.body) + b"z" * a.body
for _ in range(a.count):
    conn, _peer = lsock.accept()
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            break
        head += chunk
    time.sleep(a.delay)
    try:
        print("sent %d" % conn.send(response), flush=True)
    except OSError as e:
        print("send error: %s" % e, flush=True)
    conn.close()
