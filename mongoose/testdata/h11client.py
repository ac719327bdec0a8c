"""A strict HTTP/1.1 client (h11) against a server: argv host port path.

Raises on any protocol violation; prints "ok" when every check passed.
"""
import socket
import sys

import h11


def connect(host, port):
    s = socket.create_connection((host, port), timeout=20)
    return s, h11.Connection(our_role=h11.CLIENT)


def send(s, conn, *events):
    for e in events:
        data = conn.send(e)
        if data:
            s.sendall(data)


def next_event(s, conn):
    while True:
        e = conn.next_event()
        if e is h11.NEED_DATA:
            conn.receive_data(s.recv(65536))
            continue
        return e


def exchange(s, conn, method, path, headers=()):
    hdrs = [("Host", "test")] + list(headers)
    send(s, conn, h11.Request(method=method, target=path, headers=hdrs), h11.EndOfMessage())
    resp = next_event(s, conn)
    assert isinstance(resp, h11.Response), resp
    body = b""
    while True:
        e = next_event(s, conn)
        if isinstance(e, h11.Data):
            body += e.data
        elif isinstance(e, h11.EndOfMessage):
            break
    return resp, dict(resp.headers), body


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    # HEAD, then GET on the same connection: no excess bytes, same headers.
    s, conn = connect(host, port)
    head, hh, hbody = exchange(s, conn, "HEAD", path)
    assert hbody == b"", hbody
    assert b"date" in hh, hh
    conn.start_next_cycle()
    get, gh, gbody = exchange(s, conn, "GET", path)
    assert get.status_code == head.status_code == 200, (head, get)
    if b"content-length" in gh:
        assert hh.get(b"content-length") == gh[b"content-length"], (hh, gh)
    assert gbody, "GET got no body"
    # Connection: close is answered in kind, and the connection closes.
    conn.start_next_cycle()
    resp, rh, _ = exchange(s, conn, "GET", path, [("Connection", "close")])
    assert rh.get(b"connection", b"").lower() == b"close", rh
    assert next_event(s, conn) is h11.ConnectionClosed or s.recv(1) == b"", "still open"
    s.close()
    # Expect: 100-continue: the 100 comes while the body is still unsent.
    s, conn = connect(host, port)
    send(s, conn, h11.Request(method="POST", target=path, headers=[
        ("Host", "test"), ("Content-Length", "5"), ("Expect", "100-continue")]))
    e = next_event(s, conn)
    assert isinstance(e, h11.InformationalResponse) and e.status_code == 100, e
    send(s, conn, h11.Data(data=b"hello"), h11.EndOfMessage())
    e = next_event(s, conn)
    assert isinstance(e, h11.Response) and e.status_code == 200, e
    s.close()
    print("ok")


main()
