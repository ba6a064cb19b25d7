#!/usr/bin/env python3
"""End-to-end duel: `ceh` against AWS Lambda Web Adapter (crate lambda_web_adapter 1.0.0-rc1), each
as the Lambda runtime under cargo-lambda's runtime-API emulator, in front of the same Node app
(benches/app.js), on this machine and loopback only. Figures 4 and 5 of docs/performance.md.

    python3 benches/e2e_duel.py                 # full: 2,000 invocations per adapter and event, 100,000 for memory
    python3 benches/e2e_duel.py --smoke         # ~50 invocations, 3 cold starts, no memory run

What it measures:
- latency: for S3, SQS, API Gateway REST (v1) and HTTP API (v2) events, N invocations each, POSTed
  one at a time on a kept-alive connection to the emulator's invoke endpoint
  (/2015-03-31/functions/_/invocations, what `cargo lambda invoke` calls); p50 and p99 for each adapter
  and for the same number of direct POSTs of the event to the app (the floor: emulator, adapter and
  runtime-API hops are what the adapters add). The N are split into rounds run in ABC/CBA order,
  each adapter freshly started and warmed up, so drift on a shared machine falls on all three alike.
- cold start: with the emulator and the app up, one invocation is queued, then the adapter process is
  spawned; the time from spawn to reply, median of --cold-starts rounds, the adapters taking turns.
- memory: the adapter's VmRSS (/proc/PID/status) every 10,000 invocations over --invocations
  (default 100,000) of the four events in turn, bounded by --memory-seconds; once as Lambda runs a
  function by default (one invocation at a time) and once with AWS_LAMBDA_MAX_CONCURRENCY=2
  (Lambda Managed Instances). They differ: one at a time, RSS grows by ~170 bytes an invocation under
  both adapters, and under a bare lambda_runtime function too. lambda_runtime then sets
  _X_AMZN_TRACE_ID with std::env::set_var for every invocation, and glibc's setenv keeps every
  distinct NAME=value string it was given, so each fresh trace id most likely stays allocated;
  with concurrency it sets no variable, and RSS is flat.

It installs cargo-lambda into .venv (.ci/install-tools), builds target/release/ceh and the adapter
harness (benches/lwa-harness, into target/lwa), prints a table and then one JSON line, and writes
target/e2e-duel.json. It exits non-zero if any invocation fails. Figures are ratios within one run:
the machine is shared, so absolutes drift between runs.
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
LWA_TARGET = ROOT / "target/lwa"
LWA = LWA_TARGET / "release/lwa-harness"
INVOKE_PATH = "/2015-03-31/functions/_/invocations"
ADAPTERS = ("ceh", "lwa")

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
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in reversed(list(self.running)):
            self.stop(process)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, process, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"{what} exited ({process.returncode}) before listening on {port}; see {process.log_path}")
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

def build():
    """Installs cargo-lambda and builds both adapters; returns seconds per step."""
    seconds = {}
    steps = [
        ("install_tools", ["bash", str(ROOT / ".ci/install-tools")], None),
        ("ceh", ["cargo", "build", "--release", "--bin", "ceh"], None),
        ("lwa_harness", ["cargo", "build", "--release", "--manifest-path", "benches/lwa-harness/Cargo.toml"],
         dict(os.environ, CARGO_TARGET_DIR=str(LWA_TARGET))),
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
    else:
        env.update(AWS_LWA_PORT=str(app_port), AWS_LWA_READINESS_CHECK_PATH="/")
    env.update(extra or {})
    return env


def spawn_adapter(processes, name, emu_port, app_port, extra_env=None):
    """Starts `ceh` (as a bootstrap: no arguments, APP set) or the LWA harness under the emulator."""
    binary = CEH if name == "ceh" else LWA
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
    if event.startswith("apigw"):  # both adapters: the API Gateway proxy response
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


# --- the three measurements ------------------------------------------------------------------

def measure_latency(processes, emu_port, app_port, events, args, errors):
    """Per event: direct, ceh and LWA latencies in `rounds` legs of ABC/CBA order."""
    samples = {event: {who: [] for who in ("direct",) + ADAPTERS} for event, _ in events}
    per_leg = max(1, args.count // args.rounds)
    # One untimed leg per adapter first: the emulator and the app warm up (allocators, JIT, caches)
    # on these, not on whichever adapter's timed leg happens to come first.
    for who in ADAPTERS:
        adapter_leg(processes, who, emu_port, app_port, events, args, errors, timed=0)
    for round_number in range(args.rounds):
        order = ["direct", *ADAPTERS]
        if round_number % 2:
            order.reverse()
        for who in order:
            if who == "direct":
                client = Client(app_port, "/")
                for event, body in events:
                    timed_posts(client, body, args.warmup, args.leg_seconds, errors)
                    samples[event]["direct"] += timed_posts(client, body, per_leg, args.leg_seconds, errors)
                client.close()
                continue
            leg = adapter_leg(processes, who, emu_port, app_port, events, args, errors, timed=per_leg)
            for event, latencies in leg.items():
                samples[event][who] += latencies
            print(f"  round {round_number + 1}/{args.rounds}: {who} done", file=sys.stderr)
    return summarize_latency(samples)


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


def summarize_latency(samples):
    """p50/p99 per event and party, the adapters' overhead over direct, and ceh÷LWA (None when
    LWA's overhead is under 0.05 ms, where a ratio of overheads is noise)."""
    figures = {}
    for event, by_who in samples.items():
        row = {}
        for who, values in by_who.items():
            values.sort()
            row[who] = {"n": len(values), "p50_ms": round(percentile(values, 0.50) * 1000, 3),
                        "p99_ms": round(percentile(values, 0.99) * 1000, 3),
                        "over_10ms": sum(1 for v in values if v > 0.010)}
        row["overhead_ms"] = {who: {q: round(row[who][f"{q}_ms"] - row["direct"][f"{q}_ms"], 3) for q in ("p50", "p99")}
                              for who in ADAPTERS}
        ratio = lambda a, b: round(a / b, 3) if b >= 0.05 else None
        row["ceh_over_lwa"] = {
            "p50": ratio(row["ceh"]["p50_ms"], row["lwa"]["p50_ms"]),
            "p99": ratio(row["ceh"]["p99_ms"], row["lwa"]["p99_ms"]),
            "overhead_p50": ratio(row["overhead_ms"]["ceh"]["p50"], row["overhead_ms"]["lwa"]["p50"]),
            "overhead_p99": ratio(row["overhead_ms"]["ceh"]["p99"], row["overhead_ms"]["lwa"]["p99"]),
        }
        figures[event] = row
    return figures


def measure_cold_start(processes, emu_port, app_port, event, rounds):
    """Spawn → first reply, with the invocation already queued at the emulator.

    The adapters take turns round by round, in AB/BA order, so that drift on a shared machine falls
    on both alike (timing all of one adapter's rounds and then all of the other's put whatever the
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
    figures["ceh_over_lwa"] = round(figures["ceh"]["median_ms"] / figures["lwa"]["median_ms"], 3)
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


# Memory runs: Lambda's default of one invocation at a time, and Managed Instances' concurrency.
MEMORY_MODES = {"one_at_a_time": {}, "max_concurrency_2": {"AWS_LAMBDA_MAX_CONCURRENCY": "2"}}


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

def print_table(result):
    latency = result["latency"]
    print(f"\nend to end under cargo-lambda's emulator, {result['cores']} cores, "
          f"{result['invocations_per_event']} invocations per adapter and event (ms)\n")
    header = ("event", "direct p50", "p99", "ceh p50", "p99", "LWA p50", "p99",
              "ceh +p50", "+p99", "LWA +p50", "+p99", "ceh÷LWA p50", "p99", "+p50", "+p99")
    rows = [header]
    for event, row in latency.items():
        ratios = row["ceh_over_lwa"]
        rows.append((event, row["direct"]["p50_ms"], row["direct"]["p99_ms"], row["ceh"]["p50_ms"], row["ceh"]["p99_ms"],
                     row["lwa"]["p50_ms"], row["lwa"]["p99_ms"], row["overhead_ms"]["ceh"]["p50"],
                     row["overhead_ms"]["ceh"]["p99"], row["overhead_ms"]["lwa"]["p50"], row["overhead_ms"]["lwa"]["p99"],
                     ratios["p50"], ratios["p99"], ratios["overhead_p50"], ratios["overhead_p99"]))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
    print("(+: the adapter's percentile less the direct one; ÷ below 1 means ceh is faster)")

    cold = result["cold_start"]
    print(f"\ncold start, spawn → first reply, median of {len(cold['ceh']['samples_ms'])}: "
          f"ceh {cold['ceh']['median_ms']} ms, LWA {cold['lwa']['median_ms']} ms, ceh÷LWA {cold['ceh_over_lwa']}")
    for mode, by_who in result.get("memory", {}).items():
        print(f"\nmemory, {mode.replace('_', ' ')} (VmRSS in MiB after N invocations)")
        for who, memory in by_who.items():
            series = ", ".join(f"{count // 1000}k {kib / 1024:.1f}" if count >= 1000 else f"{count}: {kib / 1024:.1f}"
                               for count, kib in memory["series_kib"])
            print(f"  {who}: {series}; max {memory['max_kib'] / 1024:.1f}, "
                  f"growth after the first sample {memory['growth_from_first_sample_kib'] / 1024:.1f} "
                  f"({memory['growth_from_first_sample_pct']} %), {memory['invocations']} invocations in {memory['seconds']} s")
    print()


# --- main ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="~50 invocations, 3 cold starts, no memory run")
    parser.add_argument("--count", type=int, help="timed invocations per adapter and event (default 2000, smoke 50)")
    parser.add_argument("--rounds", type=int, default=2, help="legs per adapter, alternating order (default 2)")
    parser.add_argument("--warmup", type=int, help="untimed invocations per leg and event (default 200, smoke 10)")
    parser.add_argument("--cold-starts", type=int, help="cold starts per adapter (default 40, smoke 3)")
    parser.add_argument("--invocations", type=int, default=100_000, help="memory run length (default 100000)")
    parser.add_argument("--every", type=int, default=10_000, help="memory sample interval (default 10000)")
    parser.add_argument("--memory-seconds", type=float, default=900, help="time cap per memory run (default 900)")
    parser.add_argument("--memory-adapters", default="ceh,lwa", help="adapters for the memory run (default ceh,lwa)")
    parser.add_argument("--memory-modes", default=",".join(MEMORY_MODES),
                        help=f"memory runs, of {', '.join(MEMORY_MODES)} (default both)")
    parser.add_argument("--leg-seconds", type=float, default=300, help="time cap per timed leg (default 300)")
    parser.add_argument("--no-build", action="store_true", help="use the binaries as they are")
    args = parser.parse_args()
    args.count = args.count or (50 if args.smoke else 2000)
    args.warmup = args.warmup if args.warmup is not None else (10 if args.smoke else 200)
    args.cold_starts = args.cold_starts or (3 if args.smoke else 40)

    started = time.monotonic()
    result = {"cores": os.cpu_count(), "mode": "smoke" if args.smoke else "full",
              "loadavg_start": list(os.getloadavg()),
              "invocations_per_event": args.count // args.rounds * args.rounds, "rounds": args.rounds,
              "warmup_per_leg": args.warmup, "events": {name: f"fixtures/{path}" for name, path in EVENTS},
              "lwa": "lambda_web_adapter 1.0.0-rc1 (benches/lwa-harness, no extension registration)"}
    if not args.no_build:
        result["build_seconds"] = build()
    measuring = time.monotonic()
    events = [(name, (ROOT / "fixtures" / path).read_bytes()) for name, path in EVENTS]
    errors = []
    with tempfile.TemporaryDirectory(prefix="e2e-duel-") as workdir:
        processes = Processes(workdir)
        try:
            emu_port = start_emulator(processes, workdir)
            app_port = start_app(processes)
            print(f"emulator on {emu_port}, app on {app_port}; latency …", file=sys.stderr)
            result["latency"] = measure_latency(processes, emu_port, app_port, events, args, errors)
            print("cold start …", file=sys.stderr)
            result["cold_start"] = measure_cold_start(processes, emu_port, app_port, events[0], args.cold_starts)
            if not args.smoke and not errors:
                result["memory"] = {
                    mode: {who: measure_memory(processes, emu_port, app_port, who, mode, events, args, errors)
                           for who in args.memory_adapters.split(",") if who}
                    for mode in args.memory_modes.split(",") if mode}
        except Failed as failure:
            errors.append(str(failure))
        finally:
            processes.stop_all()
    result["errors"] = len(errors)
    result["error_samples"] = errors[:5]
    result["measure_seconds"] = round(time.monotonic() - measuring, 1)
    result["run_seconds"] = round(time.monotonic() - started, 1)
    result["loadavg_end"] = list(os.getloadavg())
    if "latency" in result and "cold_start" in result:
        print_table(result)
    print(json.dumps(result, ensure_ascii=False))
    (ROOT / "target").mkdir(exist_ok=True)
    (ROOT / "target/e2e-duel.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if errors:
        sys.exit(f"e2e duel failed: {errors[0]}")


if __name__ == "__main__":
    main()
