"""A small app for the Lambda lifecycle tests, standard library only.

    python lifecycle_app.py PORT [--keep-alive SECONDS] [--sigterm-file PATH] [--listen-when PATH]

It answers every request 200 with {"path": …} as JSON over HTTP/1.1 keep-alive, and prints
`listening on 127.0.0.1:PORT` once it listens (PORT 0: any free port). Besides:

- `--keep-alive SECONDS`: a connection idle longer than that is closed, at the worst moment: when
  the next request arrives on it, unanswered, as a server does whose keep-alive timer fires while
  the request is on the wire (after a Lambda thaw, the app's overdue timer and ceh's next request
  race). Such closes are counted.
- `POST /close` closes the connection without answering, whatever its age; `POST /half` answers a
  head and the start of a body, then closes it; `POST /die` ends the whole app, unanswered.
- `GET /stats` answers with the requests seen per path and the idle closes.
- `--sigterm-file PATH`: on SIGTERM, writes `SIGTERM` to PATH and exits 0.
- `--listen-when PATH`: listens only once PATH exists (an app slower than Lambda's Init phase).
"""

import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--keep-alive", type=float, default=3600.0)
parser.add_argument("--sigterm-file")
parser.add_argument("--listen-when")
args = parser.parse_args()

lock = threading.Lock()
stats = {"requests": {}, "idle_closes": 0}


def on_sigterm(_signum, _frame):
    if args.sigterm_file:
        with open(args.sigterm_file, "w") as out:
            out.write("SIGTERM\n")
    os._exit(0)


signal.signal(signal.SIGTERM, on_sigterm)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The head and the body are two writes: without this, the body waits for a delayed ACK.
    disable_nagle_algorithm = True
    idle_since = None

    def handle_one_request(self):
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if self.idle_since is not None and time.monotonic() - self.idle_since > args.keep_alive:
            with lock:
                stats["idle_closes"] += 1
            self.close_connection = True
            return
        if not self.parse_request():
            return
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        path = self.path.split("?")[0]
        with lock:
            stats["requests"][path] = stats["requests"].get(path, 0) + 1
            seen = json.dumps(stats) if path == "/stats" else None
        if path == "/close":
            self.close_connection = True
            return
        if path == "/die":
            os._exit(3)
        if path == "/half":
            # A head, then a body that breaks off: the answer had started.
            self.send_response(200)
            self.send_header("content-length", "100")
            self.end_headers()
            self.wfile.write(b"{\"cut\":")
            self.wfile.flush()
            self.close_connection = True
            return
        body = (seen or json.dumps({"path": path})).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.idle_since = time.monotonic()

    def log_message(self, *_):
        pass


if args.listen_when:
    while not os.path.exists(args.listen_when):
        time.sleep(0.02)
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
