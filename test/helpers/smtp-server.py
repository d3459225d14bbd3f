"""A test SMTP server on 127.0.0.1 (Debian's python3-aiosmtpd; run with /usr/bin/python3).

Stores each accepted message as <dir>/<n>.eml and prints one JSON line per
event; prints "ready <port>" once it accepts connections.
Modes: starttls (STARTTLS + AUTH over TLS only), plain (no TLS, no AUTH),
smtps (implicit TLS + AUTH). --fail-first N answers DATA with 421 N times;
--reject answers DATA with 550 always.
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["starttls", "plain", "smtps"], default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--reject", action="store_true")
    a = p.parse_args()
    lock = threading.Lock()
    state = {"data": 0, "stored": 0}

    def say(event):
        print(json.dumps(event), flush=True)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                state["data"] += 1
                n = state["data"]
            say({"event": "data", "attempt": n, "tls": session.ssl is not None})
            if a.reject:
                return "550 5.1.1 Mailbox unavailable"
            if n <= a.fail_first:
                return "421 4.3.2 Service not available, try again later"
            with lock:
                state["stored"] += 1
                path = os.path.join(a.dir, "%d.eml" % state["stored"])
            with open(path, "wb") as f:
                f.write(envelope.original_content)
            say({"event": "stored", "file": path, "rcpt": envelope.rcpt_tos, "tls": session.ssl is not None})
            return "250 2.0.0 OK queued"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
        say({"event": "auth", "ok": ok, "mechanism": mechanism})
        return AuthResult(success=ok)

    tls = None
    if a.mode != "plain":
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)
    kwargs = {}
    if a.mode == "starttls":
        kwargs = dict(tls_context=tls, require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    elif a.mode == "smtps":
        kwargs = dict(ssl_context=tls, authenticator=authenticator, auth_require_tls=True)
    port = free_port()
    c = Controller(Handler(), hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
    c.start()
    print("ready %d" % port, flush=True)
    try:
        sys.stdin.read()  # the test closes stdin (or kills us) to stop
    finally:
        c.stop()


main()
