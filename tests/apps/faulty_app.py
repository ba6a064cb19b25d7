"""An app that fails at random, for ceh's fault run (tests/it/e2e/faultrun.rs).

Every POST is a batch record from ceh, named by its `ceh-record-id` header.
The app writes `arrived ID` to the ledger file as the request arrives, and
answers it, at random:

- 2xx: it first writes `2xx ID` to the ledger, then answers 200 (so such a
  line means the app accepted the record);
- 500 or 404;
- hang: it waits `--hang-seconds` (longer than ceh's CEH_APP_TIMEOUT_MS), then
  answers 503 if anyone is still listening;
- die: the whole process exits at once (os._exit), answering nobody; the test
  starts it again on the same port.

The draw for a request depends only on the seed, the generation (how many
times the test started the app), the record id and how many times this process
has seen that id, so a run does not depend on which thread ran first.

Idle keep-alive connections are closed after `--keep-alive` seconds, as
gunicorn, uvicorn and Node close theirs, so a connection ceh pooled before a
freeze is gone after the thaw.

Run: python faulty_app.py --port P --ledger FILE --seed S --generation G
         [--rates 500=0.05,404=0.05,hang=0.01,die=0.003] [--hang-seconds 1.5]
         [--keep-alive 1]
The first line on stdout is "listening on 127.0.0.1:PORT".
"""

import argparse
import http.server
import os
import random
import sys
import threading
import time


def parse_rates(text):
    rates = {}
    for part in text.split(","):
        if part:
            name, _, value = part.partition("=")
            if name not in ("500", "404", "hang", "die"):
                sys.exit(f"faulty_app: unknown outcome {name!r} in --rates")
            rates[name] = float(value)
    if sum(rates.values()) > 1:
        sys.exit("faulty_app: the rates add up to more than 1")
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--seed", required=True)
    parser.add_argument("--generation", type=int, default=0)
    parser.add_argument("--rates", default="500=0.05,404=0.05,hang=0.01,die=0.003")
    parser.add_argument("--hang-seconds", type=float, default=1.5)
    parser.add_argument("--keep-alive", type=float, default=1.0)
    args = parser.parse_args()
    rates = parse_rates(args.rates)
    ledger = os.open(args.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    seen = {}
    seen_lock = threading.Lock()

    def draw(record_id):
        with seen_lock:
            n = seen.get(record_id, 0)
            seen[record_id] = n + 1
        roll = random.Random(f"{args.seed}/{args.generation}/{record_id}/{n}").random()
        for outcome in ("500", "404", "hang", "die"):
            roll -= rates.get(outcome, 0.0)
            if roll < 0:
                return outcome
        return "200"

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the body are two writes: without TCP_NODELAY the body
        # waits for ceh's delayed ACK, 40 ms an answer.
        disable_nagle_algorithm = True
        # The socket timeout: an idle keep-alive connection is closed after it.
        timeout = args.keep_alive

        def answer(self, status, text):
            body = text.encode()
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            self.rfile.read(length)
            record_id = self.headers.get("ceh-record-id")
            if record_id is None:
                self.answer(400, "no ceh-record-id header")
                return
            # One write of one line to a file opened for appending: the line
            # is whole, and in the file before ceh hears the answer.
            os.write(ledger, f"arrived {record_id}\n".encode())
            outcome = draw(record_id)
            if outcome == "200":
                os.write(ledger, f"2xx {record_id}\n".encode())
                self.answer(200, "ok")
            elif outcome == "hang":
                time.sleep(args.hang_seconds)
                self.answer(503, "too late")
            elif outcome == "die":
                os._exit(3)
            else:
                self.answer(int(outcome), "failed on purpose")

        def log_message(self, format, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True

        def handle_error(self, request, client_address):
            # ceh hung up on a hanging request, or a connection broke in a
            # freeze: nothing to report.
            pass

    server = Server(("127.0.0.1", args.port), Handler)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
