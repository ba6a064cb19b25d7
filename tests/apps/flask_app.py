"""A small Flask app for ceh's end-to-end tests.

Routes: every event route echoes the request as JSON (a body that contains
"fail" gets a 500, one that contains "poison" a 422 with `ceh-drop: true`, one
with a "slow" key waits 3 s first), GET /health answers
"ok", GET /hello text, POST /fail a 500, GET /slow?seconds=N sleeps first,
POST /overlap holds each request a second and GET /overlap tells how many
were there at once, GET /stream sends two server-sent events, the second once
the file named by `?flag=` exists.

Run: python flask_app.py [PORT]  (PORT 0 picks a free one). The first line
on stdout is "listening on 127.0.0.1:PORT".
"""

import json
import os
import sys
import threading
import time

from flask import Flask, Response, request
from werkzeug.serving import make_server

app = Flask(__name__)
in_flight = {"now": 0, "max": 0}
lock = threading.Lock()


def describe():
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode(),
        "headers": {k.lower(): request.headers.getlist(k) for k in request.headers.keys()},
        "body": request.get_data(as_text=True),
    }


@app.get("/health")
def health():
    return "ok"


@app.get("/hello")
def hello():
    return Response("hello from flask", mimetype="text/plain")


@app.post("/fail")
def fail():
    return Response("the app failed on purpose", status=500)


@app.post("/overlap")
def overlap():
    """Holds each request for a second, counting how many were here at once."""
    with lock:
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
    time.sleep(1)
    with lock:
        in_flight["now"] -= 1
    return {"max": in_flight["max"]}


@app.get("/overlap")
def overlap_seen():
    return {"max": in_flight["max"]}


@app.get("/slow")
def slow():
    time.sleep(float(request.args.get("seconds", "5")))
    return "slow"


@app.get("/stream")
def stream():
    # Server-sent events: the first at once, the second only once the test has
    # seen the first (it creates the file named by `flag`), or "late" after 10 s.
    flag = request.args.get("flag", "")

    def events():
        yield "data: 1\n\n"
        for _ in range(200):
            if flag and os.path.exists(flag):
                yield "data: 2\n\n"
                return
            time.sleep(0.05)
        yield "data: late\n\n"

    return Response(events(), mimetype="text/event-stream")


@app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def echo(path):
    seen = describe()
    status = 500 if "fail" in seen["body"] else 200
    if '"slow"' in seen["body"]:
        time.sleep(3)
    response = Response(json.dumps(seen), status=status, mimetype="application/json")
    if "poison" in seen["body"]:
        response.status_code = 422
        response.headers["ceh-drop"] = "true"
    response.set_cookie("seen", "1")
    response.set_cookie("path", path or "root")
    return response


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "0"))
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening on 127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
