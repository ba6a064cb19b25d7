#!/usr/bin/env python3
"""End-to-end duel: `ceh` against the null adapter (benches/null-adapter: the least any adapter does)
and AWS Lambda Web Adapter (crate lambda_web_adapter 1.0.0-rc1), each as the Lambda runtime under
cargo-lambda's runtime-API emulator, in front of the same Node app (benches/app.js), on this machine
and loopback only. Targets 2a-2d of docs/performance.md.

    python3 benches/e2e_duel.py                 # full: 2,400 invocations per party and event in 8 rounds
    python3 benches/e2e_duel.py --smoke         # a few of each, to prove the script runs; judges nothing
    python3 benches/e2e_duel.py --only cold,fanout   # some parts: latency, cold, fanout, memory
    python3 benches/e2e_duel.py --lambda-build lean   # ceh as the layer ships it (.ci/dist's lean musl build)
    python3 benches/e2e_duel.py --no-build --ceh dist/x86_64/ceh-lean --only cold,memory
                                                # another ceh binary (.ci/dist's), as built

What it measures:
- 2a latency: for S3, SQS, API Gateway REST (v1) and HTTP API (v2) events, N invocations each, POSTed
  one at a time on a kept-alive connection to the emulator's invoke endpoint
  (/2015-03-31/functions/_/invocations, what `cargo lambda invoke` calls), and the same number of
  direct POSTs of the event to the app. Each adapter's overhead is its percentile less direct's;
  ceh's overhead is judged as a multiple of the null adapter's and of LWA's. The N are split into
  rounds run in ABCD/DCBA order, each adapter freshly started and warmed up, so drift on a shared
  machine falls on all alike; the spread is the min-max of the per-round ratios.
- 2b cold start: with the emulator and the app up, one invocation is queued, then the adapter process
  is spawned; the time from spawn to reply, median of --cold-starts rounds, the adapters taking turns,
  each checking the app's readiness first. Spread: the ratio of medians per block of ten rounds.
- 2c memory: the adapter's VmRSS (/proc/PID/status) every 10,000 invocations over --invocations
  (default 100,000) of the four events in turn; once one invocation at a time (Lambda's default)
  and once with AWS_LAMBDA_MAX_CONCURRENCY=2 (Lambda Managed Instances); ceh against LWA.
- 2d fan-out: a 10,000-record Kinesis batch (one shard, sent in order) and a 10-message SQS batch
  delivered by ceh (invocation to reply), against the same requests (`ceh explain --format json`)
  sent by the null adapter (FANOUT_REQUESTS) at ceh's concurrency (8) and order, both invoked
  through the emulator: the same runtime-API round trip on both sides.

It installs cargo-lambda into .venv (.ci/install-tools), builds ceh, the LWA harness
(benches/lwa-harness, into target/lwa) and the null adapter (into target/null-adapter), prints a
table and every target as met/missed, and writes target/e2e-duel.json. It exits non-zero if any
invocation fails. Figures are ratios within one run: the machine is shared, so absolutes drift.

Which ceh runs the Lambda parts is --lambda-build's: `release` is target/release/ceh (`cargo build
--release`, glibc); `lean` is what a function running the layer runs, dist/x86_64/ceh-lean, the lean
musl build `.ci/dist --arch x86_64` makes (with dist/x86_64/ceh, the full musl build, which runs
`ceh explain` for the fan-out, since the lean build has no explain).
"""

import argparse
import http.client
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CEH = ROOT / "target/release/ceh"
# The ceh that runs `ceh explain` for the fan-out's requests: the lean build cannot.
CEH_EXPLAIN = CEH
# --lambda-build: the ceh binary that serves the Lambda parts, and the one that explains.
LAMBDA_BUILDS = {
    "release": (ROOT / "target/release/ceh", ROOT / "target/release/ceh"),
    "lean": (ROOT / "dist/x86_64/ceh-lean", ROOT / "dist/x86_64/ceh"),
}
LWA_TARGET = ROOT / "target/lwa"
LWA = LWA_TARGET / "release/lwa-harness"
NULL_TARGET = ROOT / "target/null-adapter"
NULL = NULL_TARGET / "release/null-adapter"
INVOKE_PATH = "/2015-03-31/functions/_/invocations"
ADAPTERS = ("ceh", "null", "lwa")

# (name, fixture): the plain event of each kind; the API Gateway ones are POSTs with a body.
EVENTS = [
    ("s3", "s3/put.json"),
    ("sqs", "sqs/basic.json"),
    ("apigw-v1", "apigw-v1/proxy.json"),
    ("apigw-v2", "apigw-v2/proxy.json"),
]
APP_BODY = {"ok": True}


class Failed(Exception):
    """An invocation failed or a reply was not the app's: the duel stops and exits non-zero."""


# --- processes -------------------------------------------------------------------------------

class Processes:
    """Every process the duel starts, each with its log file; all are stopped by stop_all()."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.running = []

    def start(self, name, argv, env=None, cwd=None, stdout=None):
        log = open(self.workdir / f"{name}.log", "ab")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=stdout or log, stderr=log)
        process.log_path = log.name
        log.close()
        self.running.append(process)
        return process

    def stop(self, process):
        stop_process(process)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in reversed(list(self.running)):
            self.stop(process)


def stop_process(process, seconds=5):
    """Terminates a process, killing it if it has not stopped within `seconds`."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = getattr(process, "log_path", None)
            raise Failed(f"{what} exited ({process.returncode}) before listening on {port}" + (f"; see {log}" if log else ""))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Failed(f"{what} did not listen on 127.0.0.1:{port} within {seconds} s")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise Failed(f"no VmRSS for process {pid}")


def log_tail(process, lines=5):
    try:
        return "\n".join(Path(process.log_path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- setup -----------------------------------------------------------------------------------

def build(lambda_build, smoke):
    """Installs cargo-lambda and builds the adapters, ceh as `lambda_build` says (the lean build
    with .ci/dist's cheaper profile for a smoke run, which judges nothing); returns seconds per
    step."""
    seconds = {}
    ceh = {"release": ["cargo", "build", "--release", "--bin", "ceh"],
           "lean": [sys.executable, str(ROOT / ".ci/dist"), "--arch", "x86_64"] + (["--smoke"] if smoke else [])}
    ceh = ceh[lambda_build]
    steps = [
        ("install_tools", ["bash", str(ROOT / ".ci/install-tools")], None),
        *([("musl_target", ["rustup", "target", "add", "x86_64-unknown-linux-musl"], None)]
          if lambda_build == "lean" else []),
        (f"ceh_{lambda_build}", ceh, None),
        ("lwa_harness", ["cargo", "build", "--release", "--manifest-path", "benches/lwa-harness/Cargo.toml"],
         dict(os.environ, CARGO_TARGET_DIR=str(LWA_TARGET))),
        ("null_adapter", ["cargo", "build", "--release", "--manifest-path", "benches/null-adapter/Cargo.toml"],
         dict(os.environ, CARGO_TARGET_DIR=str(NULL_TARGET))),
    ]
    for name, argv, env in steps:
        started = time.monotonic()
        subprocess.run(argv, cwd=ROOT, env=env, check=True)
        seconds[name] = round(time.monotonic() - started, 1)
    return seconds


def start_emulator(processes, workdir):
    """cargo-lambda's runtime-API emulator, as tests/it/e2e/harness.rs starts it; returns its port."""
    project = Path(workdir, "emu")
    (project / "src").mkdir(parents=True)
    # cargo-lambda wants a Cargo.toml where it runs; with --only-lambda-apis it builds nothing.
    (project / "Cargo.toml").write_text('[package]\nname = "emu"\nversion = "0.0.0"\nedition = "2021"\n')
    (project / "src/main.rs").write_text("fn main() {}\n")
    venv = ROOT / ".venv/bin"
    port = free_port()
    env = dict(os.environ, PATH=f"{venv}:{os.environ.get('PATH', '')}")
    emulator = processes.start("emulator", [str(venv / "cargo-lambda"), "lambda", "watch", "--only-lambda-apis",
                                            "-A", "127.0.0.1", "-P", str(port)], env=env, cwd=project)
    wait_port(port, emulator, "cargo lambda watch")
    return port


def start_app(processes):
    """benches/app.js on a free port; returns its port."""
    app = processes.start("app", ["node", str(ROOT / "benches/app.js"), "0"], stdout=subprocess.PIPE)
    line = app.stdout.readline().decode().strip()
    if not line.startswith("listening on 127.0.0.1:"):
        raise Failed(f"benches/app.js said {line!r}, not `listening on 127.0.0.1:PORT`; see {app.log_path}")
    app.stdout.close()  # it prints nothing more
    return int(line.rsplit(":", 1)[1])


def adapter_env(name, emu_port, app_port, extra=None):
    """The runtime's settings, as Lambda and harness.rs give them, plus each adapter's app settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("AWS_", "CEH_")) and key not in ("APP", "PORT")}
    env.update(AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{emu_port}/.rt", AWS_LAMBDA_FUNCTION_NAME="_",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="1")
    if name == "ceh":
        # The emulator's deadline (600000 ms since the epoch) is ignored, so bound each app request.
        # Each adapter checks the app's readiness at start, on the same path.
        env.update(APP=f"http://127.0.0.1:{app_port}", CEH_APP_TIMEOUT_MS="10000", CEH_READINESS_PATH="/")
    elif name == "null":
        env.update(APP=f"http://127.0.0.1:{app_port}", READINESS_PATH="/")
    else:
        env.update(AWS_LWA_PORT=str(app_port), AWS_LWA_READINESS_CHECK_PATH="/")
    env.update(extra or {})
    return env


def spawn_adapter(processes, name, emu_port, app_port, extra_env=None):
    """Starts `ceh` (as a bootstrap: no arguments, APP set), the null adapter or the LWA harness
    under the emulator."""
    binary = {"ceh": CEH, "null": NULL, "lwa": LWA}[name]
    return processes.start(name, [str(binary)], env=adapter_env(name, emu_port, app_port, extra_env))


# --- invoking --------------------------------------------------------------------------------

class Client:
    """One kept-alive HTTP/1.1 connection, POSTing bodies to one path and timing each reply.

    Each request leaves in a single send(). http.client sends the headers and the body in two, and
    cargo-lambda's emulator (no TCP_NODELAY) then hands the event to the runtime in two writes as
    well: Nagle's algorithm against the runtime's delayed ACK stalls 3-7 % of invocations by 40-90 ms,
    whichever runtime is behind it (a trivial Python runtime included). One send avoids it, as a
    real invoker's single segment would.
    """

    def __init__(self, port, path, timeout=30):
        self.port, self.path, self.timeout = port, path, timeout
        self.sock = None

    def send(self, body):
        """Sends one request; returns the time it left."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = (f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        started = time.perf_counter()
        self.sock.sendall(head.encode() + body)
        return started

    def receive(self):
        """Reads one response; returns (status, reply bytes)."""
        response = http.client.HTTPResponse(self.sock)
        response.begin()
        reply = response.read()
        if response.will_close:
            self.close()
        return response.status, reply

    def post(self, body):
        """Returns (status, reply bytes, seconds)."""
        try:
            started = self.send(body)
            status, reply = self.receive()
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise Failed(f"POST 127.0.0.1:{self.port}{self.path} failed: {err!r}") from err
        return status, reply, time.perf_counter() - started

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def check_reply(adapter, event, status, reply):
    """Fails unless the reply is the app's 200 answer in the form each adapter gives it."""
    def fail(why):
        raise Failed(f"{adapter} on {event}: {why}; status {status}, reply {reply[:300]!r}")

    if status != 200:
        fail("the invocation failed")
    try:
        value = json.loads(reply)
    except ValueError:
        fail("the reply is not JSON")
    if adapter == "null":  # the app's body, whatever the event
        if value != APP_BODY:
            fail("not the app's body")
    elif event.startswith("apigw"):  # both adapters: the API Gateway proxy response
        if value.get("statusCode") != 200 or json.loads(value.get("body") or "null") != APP_BODY:
            fail("not the app's 200 as an API Gateway response")
    elif adapter == "lwa":  # LWA posts non-HTTP events to its pass-through path, replies with the body
        if value != APP_BODY:
            fail("not the app's body")
    elif event == "sqs":  # ceh: one request per record, the failed ones reported
        if value != {"batchItemFailures": []}:
            fail("not an SQS batch reply without failures")
    elif value.get("status_code") != 200 or json.loads(value.get("body") or "null") != APP_BODY:
        fail("not ceh's dict reply with the app's 200")


def timed_posts(client, body, count, seconds, errors):
    """`count` POSTs of body (at most `seconds`); returns latencies in seconds; non-200 go to errors."""
    latencies = []
    deadline = time.monotonic() + seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        status, reply, elapsed = client.post(body)
        latencies.append(elapsed)
        if status != 200 or b'"errorType"' in reply[:200]:
            errors.append(f"{client.path}: {status} {reply[:200]!r}")
    return latencies


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else float("nan")


def first_reply(client, adapter, process, body, seconds=30):
    """One untimed invocation, the first after a start or of a new event; fails at once if the
    adapter exits instead of answering, and after `seconds` if it never answers."""
    deadline = time.monotonic() + seconds
    try:
        client.send(body)
        while not select.select([client.sock], [], [], 0.1)[0]:
            if process.poll() is not None:
                raise Failed(f"{adapter} exited ({process.returncode}) before answering: {log_tail(process)}")
            if time.monotonic() > deadline:
                raise Failed(f"{adapter} did not answer its first invocation within {seconds} s")
        return client.receive()
    except (OSError, http.client.HTTPException) as err:
        client.close()
        raise Failed(f"{adapter}: the first invocation failed: {err!r}") from err


# --- the measurements ------------------------------------------------------------------------

def figure(key, what, measured, limit, spread=None, at_most=True):
    """One target: a ratio measured in this run, its limit, the spread over rounds, met or missed."""
    met = None if measured is None else (measured <= limit if at_most else measured >= limit)
    return {"id": key, "what": what, "measured": None if measured is None else round(measured, 3),
            "target": f"{'≤' if at_most else '≥'} {limit}×",
            "spread": None if not spread else [round(min(spread), 3), round(max(spread), 3)], "met": met}


def ratio_or_none(a, b):
    return a / b if b and b > 0 else None


def measure_latency(processes, emu_port, app_port, events, args, errors):
    """Per event: direct, ceh, null adapter and LWA latencies in `rounds` legs of ABCD/DCBA order;
    returns the samples as a list of rounds, each {event: {who: [seconds]}}."""
    rounds = []
    per_leg = max(1, args.count // args.rounds)
    # One untimed leg per adapter first: the emulator and the app warm up (allocators, JIT, caches)
    # on these, not on whichever adapter's timed leg happens to come first.
    for who in ADAPTERS:
        adapter_leg(processes, who, emu_port, app_port, events, args, errors, timed=0)
    for round_number in range(args.rounds):
        order = ["direct", *ADAPTERS]
        if round_number % 2:
            order.reverse()
        samples = {event: {} for event, _ in events}
        for who in order:
            if who == "direct":
                client = Client(app_port, "/")
                for event, body in events:
                    timed_posts(client, body, args.warmup, args.leg_seconds, errors)
                    samples[event]["direct"] = timed_posts(client, body, per_leg, args.leg_seconds, errors)
                client.close()
                continue
            leg = adapter_leg(processes, who, emu_port, app_port, events, args, errors, timed=per_leg)
            for event, latencies in leg.items():
                samples[event][who] = latencies
        rounds.append(samples)
        print(f"  latency round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    return rounds


def adapter_leg(processes, who, emu_port, app_port, events, args, errors, timed):
    """A fresh adapter serves each event: a checked first reply, `args.warmup` untimed invocations,
    then `timed` timed ones; returns the latencies per event."""
    adapter = spawn_adapter(processes, who, emu_port, app_port)
    client = Client(emu_port, INVOKE_PATH)
    latencies = {}
    try:
        for event, body in events:
            status, reply = first_reply(client, who, adapter, body)
            check_reply(who, event, status, reply)
            timed_posts(client, body, args.warmup, args.leg_seconds, errors)
            latencies[event] = timed_posts(client, body, timed, args.leg_seconds, errors)
    finally:
        client.close()
        processes.stop(adapter)
    return latencies


def percentiles(values):
    values = sorted(values)
    return {"n": len(values), "p50_ms": round(percentile(values, 0.50) * 1000, 3),
            "p99_ms": round(percentile(values, 0.99) * 1000, 3), "over_10ms": sum(1 for v in values if v > 0.010)}


def summarize_latency(rounds):
    """p50/p99 per event and party over all rounds, each adapter's overhead over direct, and ceh's
    overhead as a multiple of the null adapter's and of LWA's, with the spread of the per-round
    ratios."""
    figures = {}
    for event in rounds[0]:
        row = {who: percentiles([v for r in rounds for v in r[event][who]]) for who in ("direct",) + ADAPTERS}
        row["overhead_ms"] = {who: {q: round(row[who][f"{q}_ms"] - row["direct"][f"{q}_ms"], 3) for q in ("p50", "p99")}
                              for who in ADAPTERS}
        per_round = [{who: percentiles(r[event][who]) for who in ("direct",) + ADAPTERS} for r in rounds]

        def over(peer, q, p):
            return ratio_or_none(p["ceh"][f"{q}_ms"] - p["direct"][f"{q}_ms"], p[peer][f"{q}_ms"] - p["direct"][f"{q}_ms"])

        row["ceh_overhead_over"] = {
            peer: {q: {"ratio": over(peer, q, row),
                       "rounds": [x for x in (over(peer, q, p) for p in per_round) if x is not None]}
                   for q in ("p50", "p99")}
            for peer in ("null", "lwa")}
        figures[event] = row
    return figures


def latency_figures(latency):
    out = []
    for event, row in latency.items():
        for peer, limits in (("null", {"p50": 1.1, "p99": 1.2}), ("lwa", {"p50": 0.7, "p99": 0.7})):
            for q, limit in limits.items():
                r = row["ceh_overhead_over"][peer][q]
                out.append(figure(f"2a {event} {q} ÷{peer}",
                                  f"ceh's overhead over direct ÷ the {'null adapter' if peer == 'null' else 'LWA'}'s, {event}, {q}",
                                  r["ratio"], limit, r["rounds"]))
    return out


def measure_cold_start(processes, emu_port, app_port, event, rounds):
    """Spawn → first reply, with the invocation already queued at the emulator.

    The adapters take turns round by round, in ABC/CBA order, so that drift on a shared machine falls
    on all alike (timing all of one adapter's rounds and then all of the other's put whatever the
    machine was doing meanwhile on one of them: medians of 20 then swung by ±5 % between runs).
    """
    samples = {who: [] for who in ADAPTERS}
    for round_ in range(rounds):
        for who in (ADAPTERS if round_ % 2 == 0 else ADAPTERS[::-1]):
            samples[who].append(cold_start_once(processes, emu_port, app_port, event, who))
    figures = {who: {"median_ms": round(statistics.median(taken) * 1000, 2),
                     "min_ms": round(min(taken) * 1000, 2), "max_ms": round(max(taken) * 1000, 2),
                     "samples_ms": [round(s * 1000, 2) for s in taken]}
               for who, taken in samples.items()}
    # The spread: the ratio of medians in each block of (up to) ten rounds.
    block = max(1, min(10, rounds // 2))
    for peer in ("null", "lwa"):
        blocks = [statistics.median(samples["ceh"][i:i + block]) / statistics.median(samples[peer][i:i + block])
                  for i in range(0, rounds - block + 1, block)]
        figures[f"ceh_over_{peer}"] = round(figures["ceh"]["median_ms"] / figures[peer]["median_ms"], 3)
        figures[f"ceh_over_{peer}_blocks"] = [round(b, 3) for b in blocks]
    return figures


def cold_start_once(processes, emu_port, app_port, event, who):
    """One cold start of `who`: seconds from its spawn to the reply of the invocation queued before it."""
    name, body = event
    outcome = {}
    sent = threading.Event()

    def invoke():
        client = Client(emu_port, INVOKE_PATH, timeout=30)
        try:
            client.send(body)
            sent.set()
            outcome["status"], outcome["reply"] = client.receive()
            outcome["at"] = time.perf_counter()
        except (OSError, http.client.HTTPException) as err:
            outcome["error"] = repr(err)
        finally:
            sent.set()
            client.close()

    thread = threading.Thread(target=invoke, daemon=True)
    thread.start()
    sent.wait(10)
    time.sleep(0.2)  # let the emulator queue it before any runtime asks for work
    spawned = time.perf_counter()
    adapter = spawn_adapter(processes, who, emu_port, app_port)
    thread.join(35)
    processes.stop(adapter)
    if "at" not in outcome:
        raise Failed(f"{who} cold start: no reply ({outcome.get('error', 'timed out')}): {log_tail(adapter)}")
    check_reply(who, name, outcome["status"], outcome["reply"])
    return outcome["at"] - spawned


def batch_event(kind, records):
    """A `records`-record Kinesis batch (one shard, distinct sequence numbers) or SQS batch
    (distinct message ids), compact, from the fixtures' first record."""
    fixture = json.loads((ROOT / ("fixtures/kinesis/stream.json" if kind == "kinesis" else "fixtures/sqs/basic.json")).read_bytes())
    first = fixture["Records"][0]
    out = []
    for i in range(records):
        record = json.loads(json.dumps(first))
        if kind == "kinesis":
            sequence = f"4956816737{i:046d}"
            record["kinesis"]["sequenceNumber"] = sequence
            record["eventID"] = f"shardId-000000000000:{sequence}"
        else:
            record["messageId"] = f"message-{i}"
        out.append(record)
    return json.dumps({"Records": out}, separators=(",", ":")).encode()


def measure_fanout(processes, emu_port, app_port, args, errors, workdir):
    """2d: a batch delivered by ceh against the same requests (`ceh explain --format json`) sent by
    the null adapter (FANOUT_REQUESTS) at the same concurrency and in the same order (a Kinesis
    batch is one shard, sent in order; SQS messages are independent), each invoked through the
    emulator and timed to its reply: the same runtime-API round trip on both sides, so the ratio is
    what ceh adds to the fan-out itself. Rounds alternate ceh and the null adapter, order reversing;
    each round starts its adapter and answers one untimed batch first."""
    result = {}
    batches = [("kinesis", args.kinesis_records, 1), ("sqs", 10, args.sqs_repeats)]
    for kind, records, repeats in batches:
        body = batch_event(kind, records)
        path = Path(workdir, f"{kind}-batch.json")
        path.write_bytes(body)
        explained = subprocess.run([str(CEH_EXPLAIN), "explain", "--format", "json", str(path)], capture_output=True, check=True)
        requests = json.loads(explained.stdout)["requests"]
        if len(requests) != records:
            raise Failed(f"ceh explain made {len(requests)} requests of the {records}-record {kind} batch")
        # ceh's default [reply] concurrency; an ordered (Kinesis) batch is one sequence.
        sequences = [list(range(records))] if kind == "kinesis" else [[i] for i in range(records)]
        spec = Path(workdir, f"{kind}-requests.json")
        spec.write_text(json.dumps({"concurrency": 8, "sequences": sequences, "requests": requests}))
        rounds = {"ceh": [], "null": []}
        for round_ in range(args.fanout_rounds):
            for who in (("ceh", "null") if round_ % 2 == 0 else ("null", "ceh")):
                extra = {"FANOUT_REQUESTS": str(spec)} if who == "null" else None
                adapter = spawn_adapter(processes, who, emu_port, app_port, extra)
                client = Client(emu_port, INVOKE_PATH, timeout=120)
                try:
                    status, reply = first_reply(client, who, adapter, body, seconds=120)
                    if status != 200 or json.loads(reply) != {"batchItemFailures": []}:
                        raise Failed(f"{who} on the {kind} batch: {status} {reply[:200]!r}")
                    rounds[who].append(statistics.median(timed_posts(client, body, repeats, args.leg_seconds, errors)))
                finally:
                    client.close()
                    processes.stop(adapter)
        ceh_s, null_s = statistics.median(rounds["ceh"]), statistics.median(rounds["null"])
        result[kind] = {"records": records, "bytes": len(body), "repeats_per_round": repeats,
                        "ceh_ms": round(ceh_s * 1000, 3), "null_ms": round(null_s * 1000, 3),
                        "ratio": round(ceh_s / null_s, 3),
                        "rounds": [round(c / n, 3) for c, n in zip(rounds["ceh"], rounds["null"])]}
        print(f"  fan-out {kind}: ceh {ceh_s * 1000:.1f} ms, null adapter {null_s * 1000:.1f} ms", file=sys.stderr)
    return result


# Memory runs: Lambda's default of one invocation at a time, and Managed Instances' concurrency.
MEMORY_MODES = {"one_at_a_time": {}, "max_concurrency_2": {"AWS_LAMBDA_MAX_CONCURRENCY": "2"}}
# The parts of the duel, in the order they run (--only picks some).
PARTS = ("latency", "cold", "fanout", "memory")


def measure_memory(processes, emu_port, app_port, who, mode, events, args, errors):
    """VmRSS of one adapter every `every` invocations, the events in turn, bounded by count and time."""
    adapter = spawn_adapter(processes, who, emu_port, app_port, MEMORY_MODES[mode])
    client = Client(emu_port, INVOKE_PATH)
    series = []
    started = time.monotonic()
    done = 0
    try:
        status, reply = first_reply(client, who, adapter, events[0][1])
        check_reply(who, events[0][0], status, reply)
        series.append([1, rss_kib(adapter.pid)])
        deadline = started + args.memory_seconds
        while done < args.invocations and time.monotonic() < deadline:
            chunk = min(args.every, args.invocations - done)
            for i in range(chunk):
                timed_posts(client, events[(done + i) % len(events)][1], 1, args.memory_seconds, errors)
            done += chunk
            series.append([done, rss_kib(adapter.pid)])
            print(f"  memory {who} {mode}: {done} invocations, {series[-1][1]} KiB", file=sys.stderr)
            if errors:
                break
    finally:
        client.close()
        processes.stop(adapter)
    values = [kib for _, kib in series]
    at_10k = next((kib for count, kib in series if count >= args.every), values[-1])
    return {"invocations": done, "seconds": round(time.monotonic() - started, 1), "capped_by_time": done < args.invocations,
            "series_kib": series, "max_kib": max(values), "last_kib": values[-1],
            "growth_from_first_sample_kib": values[-1] - at_10k,
            "growth_from_first_sample_pct": round(100 * (values[-1] - at_10k) / at_10k, 1)}


# --- output ----------------------------------------------------------------------------------

def all_figures(result):
    """Every target this duel judges (2a-2d of docs/performance.md), as ratios of this run."""
    out = latency_figures(result["latency"]) if "latency" in result else []
    cold = result.get("cold_start")
    if cold:
        out.append(figure("2b ÷null", "cold start, spawn → first reply, ceh ÷ the null adapter (medians)",
                          cold["ceh_over_null"], 1.1, cold["ceh_over_null_blocks"]))
        out.append(figure("2b ÷lwa", "cold start, ceh ÷ LWA (medians)", cold["ceh_over_lwa"], 0.8, cold["ceh_over_lwa_blocks"]))
    for mode, by_who in result.get("memory", {}).items():
        if "ceh" in by_who and "lwa" in by_who:
            out.append(figure(f"2c {mode.replace('_', ' ')}", f"RSS after {by_who['ceh']['invocations']} invocations, ceh ÷ LWA",
                              by_who["ceh"]["last_kib"] / by_who["lwa"]["last_kib"], 1.0))
    for kind, row in result.get("fanout", {}).items():
        out.append(figure(f"2d {kind}", f"{row['records']}-record {kind} batch, ceh's delivery ÷ the null adapter's fan-out, both through the runtime API",
                          row["ratio"], 1.2, row["rounds"]))
    return out


def print_figures(figures, cores):
    print(f"\ntargets ({cores} cores; spread: min–max of the per-round ratios)")
    for f in figures:
        spread = f"  [{f['spread'][0]:.2f}–{f['spread'][1]:.2f}]" if f["spread"] else ""
        measured = "n/a" if f["measured"] is None else f"{f['measured']:.2f}×"
        mark = {True: "met", False: "MISSED", None: "n/a"}[f["met"]]
        print(f"  {f['id']:<24} {measured:>7} {f['target']:<7} {mark:<6}{spread}  {f['what']}")


def print_table(result):
    if "latency" in result:
        print_latency(result)
    if cold := result.get("cold_start"):
        print(f"\ncold start, spawn → first reply, median of {len(cold['ceh']['samples_ms'])}: "
              f"ceh {cold['ceh']['median_ms']} ms, null adapter {cold['null']['median_ms']} ms, LWA {cold['lwa']['median_ms']} ms")
    for kind, row in result.get("fanout", {}).items():
        print(f"fan-out, {row['records']}-record {kind} batch: ceh {row['ceh_ms']} ms, the null adapter's {row['null_ms']} ms")
    for mode, by_who in result.get("memory", {}).items():
        print(f"\nmemory, {mode.replace('_', ' ')} (VmRSS in MiB after N invocations)")
        for who, memory in by_who.items():
            series = ", ".join(f"{count // 1000}k {kib / 1024:.1f}" if count >= 1000 else f"{count}: {kib / 1024:.1f}"
                               for count, kib in memory["series_kib"])
            print(f"  {who}: {series}; max {memory['max_kib'] / 1024:.1f}, "
                  f"growth after the first sample {memory['growth_from_first_sample_kib'] / 1024:.1f} "
                  f"({memory['growth_from_first_sample_pct']} %), {memory['invocations']} invocations in {memory['seconds']} s")
    print_figures(result["figures"], result["cores"])
    print()


def print_latency(result):
    latency = result["latency"]
    print(f"\nend to end under cargo-lambda's emulator, {result['cores']} cores, "
          f"{result['invocations_per_event']} invocations per party and event in {result['rounds']} rounds (ms)\n")
    header = ("event", "direct p50", "p99", "ceh p50", "p99", "null p50", "p99", "LWA p50", "p99",
              "ceh +p50", "+p99", "null +p50", "+p99", "LWA +p50", "+p99")
    rows = [header]
    for event, row in latency.items():
        rows.append((event, row["direct"]["p50_ms"], row["direct"]["p99_ms"], row["ceh"]["p50_ms"], row["ceh"]["p99_ms"],
                     row["null"]["p50_ms"], row["null"]["p99_ms"], row["lwa"]["p50_ms"], row["lwa"]["p99_ms"],
                     *(row["overhead_ms"][who][q] for who in ADAPTERS for q in ("p50", "p99"))))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
    print("(+: the party's percentile less the direct one: its overhead)")


# --- main ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few invocations of each kind, no memory run")
    parser.add_argument("--count", type=int, help="timed invocations per party and event (default 2400, smoke 40)")
    parser.add_argument("--rounds", type=int, help="legs per party, alternating order (default 8, smoke 2)")
    parser.add_argument("--warmup", type=int, help="untimed invocations per leg and event (default 200, smoke 10)")
    parser.add_argument("--cold-starts", type=int, help="cold starts per adapter (default 40, smoke 3)")
    parser.add_argument("--kinesis-records", type=int, help="records in the Kinesis batch (default 10000, smoke 200)")
    parser.add_argument("--sqs-repeats", type=int, help="SQS batches per fan-out round (default 200, smoke 5)")
    parser.add_argument("--fanout-rounds", type=int, help="fan-out rounds, ceh and the null adapter in turns (default 6, smoke 2)")
    parser.add_argument("--invocations", type=int, help="memory run length (default 100000, smoke 2000)")
    parser.add_argument("--every", type=int, help="memory sample interval (default 10000, smoke 1000)")
    parser.add_argument("--memory-seconds", type=float, default=900, help="time cap per memory run (default 900)")
    parser.add_argument("--memory-adapters", default="ceh,lwa", help="adapters for the memory run (default ceh,lwa)")
    parser.add_argument("--memory-modes", default=",".join(MEMORY_MODES),
                        help=f"memory runs, of {', '.join(MEMORY_MODES)} (default both)")
    parser.add_argument("--leg-seconds", type=float, default=300, help="time cap per timed leg (default 300)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    parser.add_argument("--lambda-build", choices=list(LAMBDA_BUILDS), default="release",
                        help="the ceh build for the Lambda parts: release (target/release/ceh, glibc) or lean "
                             "(dist/x86_64/ceh-lean, the layer's musl build, made by .ci/dist --arch x86_64); "
                             "default release")
    parser.add_argument("--ceh", type=Path, help="the ceh binary to run, and to explain with (default: --lambda-build's)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"the parts to run, of {', '.join(PARTS)} (default all)")
    args = parser.parse_args()
    parts = [p for p in args.only.split(",") if p]
    if unknown := [p for p in parts if p not in PARTS]:
        parser.error(f"--only: no part {', '.join(unknown)}; the parts are {', '.join(PARTS)}")
    global CEH, CEH_EXPLAIN
    CEH, CEH_EXPLAIN = LAMBDA_BUILDS[args.lambda_build]
    if args.ceh:
        CEH = CEH_EXPLAIN = args.ceh.resolve()
    smoke = args.smoke
    args.count = args.count or (40 if smoke else 2400)
    args.rounds = args.rounds or (2 if smoke else 8)
    args.warmup = args.warmup if args.warmup is not None else (10 if smoke else 200)
    args.cold_starts = args.cold_starts or (3 if smoke else 40)
    args.kinesis_records = args.kinesis_records or (200 if smoke else 10_000)
    args.sqs_repeats = args.sqs_repeats or (5 if smoke else 200)
    args.fanout_rounds = args.fanout_rounds or (2 if smoke else 6)
    args.invocations = args.invocations or (2000 if smoke else 100_000)
    args.every = args.every or (1000 if smoke else 10_000)

    started = time.monotonic()
    result = {"cores": os.cpu_count(), "mode": "smoke" if smoke else "full", "lambda_build": args.lambda_build,
              "loadavg_start": list(os.getloadavg()),
              "invocations_per_event": args.count // args.rounds * args.rounds, "rounds": args.rounds,
              "warmup_per_leg": args.warmup, "events": {name: f"fixtures/{path}" for name, path in EVENTS},
              "lwa": "lambda_web_adapter 1.0.0-rc1 (benches/lwa-harness, no extension registration)",
              "null": "benches/null-adapter: next → POST to the app → response, nothing else"}
    if not args.no_build:
        result["build_seconds"] = build(args.lambda_build, smoke)
    measuring = time.monotonic()
    events = [(name, (ROOT / "fixtures" / path).read_bytes()) for name, path in EVENTS]
    errors = []
    with tempfile.TemporaryDirectory(prefix="e2e-duel-") as workdir:
        processes = Processes(workdir)
        try:
            emu_port = start_emulator(processes, workdir)
            app_port = start_app(processes)
            print(f"emulator on {emu_port}, app on {app_port}", file=sys.stderr)
            if "latency" in parts:
                print("latency …", file=sys.stderr)
                result["latency"] = summarize_latency(measure_latency(processes, emu_port, app_port, events, args, errors))
            if "cold" in parts:
                print("cold start …", file=sys.stderr)
                result["cold_start"] = measure_cold_start(processes, emu_port, app_port, events[0], args.cold_starts)
            if "fanout" in parts:
                print("fan-out …", file=sys.stderr)
                result["fanout"] = measure_fanout(processes, emu_port, app_port, args, errors, workdir)
            if "memory" in parts and not errors:
                result["memory"] = {
                    mode: {who: measure_memory(processes, emu_port, app_port, who, mode, events, args, errors)
                           for who in args.memory_adapters.split(",") if who}
                    for mode in args.memory_modes.split(",") if mode}
        except Failed as failure:
            errors.append(str(failure))
        finally:
            processes.stop_all()
    result["figures"] = all_figures(result)
    result["errors"] = len(errors)
    result["error_samples"] = errors[:5]
    result["measure_seconds"] = round(time.monotonic() - measuring, 1)
    result["run_seconds"] = round(time.monotonic() - started, 1)
    result["loadavg_end"] = list(os.getloadavg())
    print_table(result)
    (ROOT / "target").mkdir(exist_ok=True)
    (ROOT / "target/e2e-duel.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print("wrote target/e2e-duel.json")
    if errors:
        sys.exit(f"e2e duel failed: {errors[0]}")


if __name__ == "__main__":
    main()
