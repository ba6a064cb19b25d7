"""A Flask app that receives S3 notifications, SQS messages (one request each) and HTTP requests.

Run it behind ceh:  python examples/flask/app.py 8080  and  ceh invoke --app http://127.0.0.1:8080 EVENT
"""

import sys

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

app = Flask(__name__)


@app.post("/aws.s3")
def s3_notification():
    event = request.get_json()
    keys = [record["s3"]["object"]["key"] for record in event.get("Records", [])]
    return jsonify(handled="s3", keys=keys)


@app.post("/aws.sqs")
def sqs_message():
    # ceh sends one request per message; a failure status retries this message alone.
    message = request.get_json()
    if message.get("body") == "fail":
        return jsonify(error="cannot process", id=request.headers.get("ceh-record-id")), 500
    return jsonify(handled="sqs", id=request.headers.get("ceh-record-id"))


@app.get("/hello")
def hello():
    return "hello from flask"


@app.get("/health")
def health():
    # CEH_READINESS_PATH: ceh waits for this answer before it takes the first event.
    return "ok"


if __name__ == "__main__":
    server = make_server("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8080, app, threaded=True)
    print(f"listening on 127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
