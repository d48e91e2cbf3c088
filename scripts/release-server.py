#!/usr/bin/env python3
"""A local stand-in for GitHub's release downloads, for the Action's install tests.

Serves DIR laid out as DIR/TAG/ASSET (e.g. DIR/v1.0.0/SHA256SUMS) the way github.com does:

  GET /OWNER/REPO/releases/download/TAG/ASSET
      302 to /release-assets/<opaque>/ASSET when DIR/TAG/ASSET exists (github.com redirects
      to its objects host the same way), 404 otherwise
  GET /release-assets/<opaque>/ASSET
      the bytes (application/octet-stream); 404 for an unknown <opaque>

Every request line is appended to --log ("GET /path STATUS"). The port bound (--port 0: any
free one) is printed on stdout as one line, then the server runs until killed.
Usage: release-server.py --dir DIR [--port N] [--log FILE] [--owner-repo OWNER/REPO]
Python 3 standard library only.
"""

import argparse
import http.server
import os
import re
import secrets
import shutil
import sys
import threading

SAFE = re.compile(r"^[A-Za-z0-9._+-]+$")


def make_handler(root, log_path, owner_repo):
    # opaque id -> (tag, asset); ids are random, like GitHub's signed object URLs
    issued = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "codex-release-server"
        sys_version = ""

        def log_message(self, fmt, *args):  # quiet on stderr; the log file is the record
            pass

        def record(self, status):
            if log_path:
                with lock, open(log_path, "a", encoding="utf-8") as f:
                    f.write(f"{self.command} {self.path} {status}\n")

        def answer(self, status, body=b"", headers=()):
            self.record(status)
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def send_file(self, path):
            size = os.path.getsize(path)
            self.record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if self.command != "HEAD":
                with open(path, "rb") as f:
                    shutil.copyfileobj(f, self.wfile, 1 << 20)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/")
            if (
                len(parts) == 6
                and parts[2:4] == ["releases", "download"]
                and (owner_repo is None or "/".join(parts[0:2]) == owner_repo)
                and all(SAFE.match(p) for p in parts)
            ):
                tag, asset = parts[4], parts[5]
                if os.path.isfile(os.path.join(root, tag, asset)):
                    opaque = secrets.token_hex(16)
                    with lock:
                        issued[opaque] = (tag, asset)
                    return self.answer(302, headers=[("Location", f"/release-assets/{opaque}/{asset}")])
                return self.answer(404, b"Not Found")
            if len(parts) == 3 and parts[0] == "release-assets":
                with lock:
                    hit = issued.get(parts[1])
                if hit and hit[1] == parts[2]:
                    return self.send_file(os.path.join(root, *hit))
            return self.answer(404, b"Not Found")

        do_HEAD = do_GET

    return Handler


def main():
    p = argparse.ArgumentParser(description="Serve a directory as GitHub serves release downloads.")
    p.add_argument("--dir", required=True, help="directory holding TAG/ASSET files")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    p.add_argument("--log", help="append each request line to this file")
    p.add_argument("--owner-repo", help="answer only for this OWNER/REPO (default: any)")
    a = p.parse_args()
    root = os.path.abspath(a.dir)
    if not os.path.isdir(root):
        print(f"release-server: not a directory: {a.dir}", file=sys.stderr)
        return 2
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", a.port), make_handler(root, a.log, a.owner_repo)
    )
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
