"""A Flask app instrumented with OpenTelemetry's own SDK, for ceh's trace tests.

The Flask instrumentation makes a SERVER span for each request, continuing the
context that OpenTelemetry's default propagator (W3C Trace Context) finds in
the request's headers; the SDK's in-memory exporter keeps every span that
ends. Routes:

- GET /_otel: what the test reads back, as JSON: "requests", each request the
  app answered (method, path, headers, body, and the context of its server
  span: trace_id, span_id, sampled, recording), and "spans", each span the
  exporter holds (name, kind, trace_id, span_id, parent_span_id,
  parent_is_remote, sampled, trace_state). Not traced itself.
- every other path and method: answers 200 with the request as JSON, plus
  "span" (its server span's context).

Run: python otel_flask.py [PORT]  (PORT 0 picks a free one). The first line
on stdout is "listening on 127.0.0.1:PORT".
"""

import json
import os
import sys
import threading

from flask import Flask, Response, request
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.serving import make_server

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)

app = Flask(__name__)
FlaskInstrumentor().instrument_app(app, excluded_urls="_otel")
seen = []
lock = threading.Lock()


def context_of(span_context):
    return {
        "trace_id": trace.format_trace_id(span_context.trace_id),
        "span_id": trace.format_span_id(span_context.span_id),
        "sampled": span_context.trace_flags.sampled,
    }


def describe_span(span):
    parent = span.parent
    return {
        "name": span.name,
        "kind": span.kind.name,
        **context_of(span.context),
        "parent_span_id": trace.format_span_id(parent.span_id) if parent else None,
        "parent_is_remote": parent.is_remote if parent else None,
        "trace_state": span.context.trace_state.to_header(),
    }


@app.get("/_otel")
def spans():
    with lock:
        requests = list(seen)
    described = [describe_span(span) for span in exporter.get_finished_spans()]
    return {"requests": requests, "spans": described}


@app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@app.route("/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def echo(path):
    current = trace.get_current_span()
    described = {
        "method": request.method,
        "path": request.path,
        "headers": {k.lower(): request.headers.getlist(k) for k in request.headers.keys()},
        "body": request.get_data(as_text=True),
        "span": {**context_of(current.get_span_context()), "recording": current.is_recording()},
    }
    with lock:
        seen.append(described)
    return Response(json.dumps(described), mimetype="application/json")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", "0"))
    server = make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening on 127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
