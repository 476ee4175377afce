#!/usr/bin/env python3
"""A tiny S3-shaped HTTP server on 127.0.0.1 that fails on purpose, to test
the S3 adapter's retries and backoff. It prints its port on the first line
of stdout, then serves until killed. Signatures are not checked.

The second component of the path picks the behaviour for that path:
  /BUCKET/fail-N/...      the first N requests get 500 InternalError
  /BUCKET/slowdown-N/...  the first N requests get 503 SlowDown
  /BUCKET/always/...      every request gets 500 InternalError
  /BUCKET/denied/...      403 AccessDenied
anything else answers 200. GET /count/PATH tells how many requests PATH
received (the query left out).
"""
import http.server
import socketserver
import sys
import threading
import urllib.parse

counts = {}
lock = threading.Lock()

ERROR = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
         '<Message>{msg}</Message></Error>')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, msg):
        body = ERROR.format(code=code, msg=msg).encode()
        self.reply(status, body, [("Content-Type", "application/xml")])

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/count/"):
            with lock:
                n = counts.get(path[len("/count"):], 0)
            self.reply(200, str(n).encode())
            return
        with lock:
            n = counts.get(path, 0) + 1
            counts[path] = n
        parts = path.split("/")
        mode = parts[2] if len(parts) > 2 else ""
        if mode == "always":
            self.error(500, "InternalError", "failing on purpose")
        elif mode == "denied":
            self.error(403, "AccessDenied", "denied on purpose")
        elif mode.startswith("fail-") and n <= int(mode[5:]):
            self.error(500, "InternalError", "failing on purpose")
        elif mode.startswith("slowdown-") and n <= int(mode[9:]):
            self.error(503, "SlowDown", "slow down on purpose")
        else:
            self.reply(200, b"ok", [
                ("ETag", '"444bcb3a3fcf8389296c49467f27e1d6"'),
                ("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT")])

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
