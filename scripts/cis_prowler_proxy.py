#!/usr/bin/env python3
"""Loopback HTTP proxy for scripts/cis-prowler: the only way out for the tools it runs.

    cis_prowler_proxy.py EMULATOR_PORT LOG_FILE

Prints the port it listens on (127.0.0.1), then serves until killed. A plain-HTTP request for any host on
127.0.0.1 or localhost (including account-prefixed names such as 123456789012.127.0.0.1, which S3 Control uses
and which do not resolve) at EMULATOR_PORT is forwarded to the emulator at 127.0.0.1:EMULATOR_PORT. Everything
else, HTTPS tunnels (CONNECT) included, is refused with 403 and written to LOG_FILE, one line per attempt, so
the caller can prove that nothing left the machine.

One answer of the emulator is completed on its way back, to the shape AWS always gives it: moto's
CloudTrail GetEventSelectors leaves out `DataResources` when a selector has none, where AWS returns `[]`; Prowler's
S3 data-event checks then crash and report nothing, or report, depending on which region's thread saw the trail
first. With `[]` filled in they report what they would against AWS.
"""

import http.client
import http.server
import json
import sys
import threading
import urllib.parse

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
}
LOCAL_NAMES = ("127.0.0.1", "localhost")


def complete_response(target, payload):
    """The emulator's answer with the fields AWS always returns filled in (see the module's docstring)."""
    if not target.endswith(".GetEventSelectors"):
        return payload
    try:
        answer = json.loads(payload)
    except ValueError:
        return payload
    for selector in answer.get("EventSelectors") or []:
        selector.setdefault("DataResources", [])
    return json.dumps(answer).encode()


def is_emulator(host, port, emulator_port):
    local = any(host == name or host.endswith("." + name) for name in LOCAL_NAMES)
    return local and port == emulator_port


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emulator_port = 0
    log_file = None
    log_lock = threading.Lock()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def refuse(self, target):
        with self.log_lock, open(self.log_file, "a", encoding="utf-8") as log:
            log.write(f"refused {self.command} {target}\n")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_CONNECT(self):  # noqa: N802 - http.server's naming
        self.close_connection = True
        self.refuse(self.path)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def forward(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        if url.scheme != "http" or not is_emulator(url.hostname or "", url.port or 80, self.emulator_port):
            self.refuse(self.path)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = f"127.0.0.1:{self.emulator_port}"
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        upstream = http.client.HTTPConnection("127.0.0.1", self.emulator_port, timeout=300)
        try:
            upstream.request(self.command, path, body=body, headers=headers)
            response = upstream.getresponse()
            payload = complete_response(self.headers.get("X-Amz-Target", ""), response.read())
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        if self.command == "HEAD":
            self.send_header("Content-Length", response.getheader("Content-Length", "0"))
            self.end_headers()
        else:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = forward


def main():
    Proxy.emulator_port = int(sys.argv[1])
    Proxy.log_file = sys.argv[2]
    open(Proxy.log_file, "a", encoding="utf-8").close()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
