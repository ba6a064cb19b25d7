#!/usr/bin/env python3
"""Load test: drives `ceh serve` and the Lambda path with many concurrent events, on loopback only,
for a bounded time and count, and reports throughput, p50/p99 latency, errors and ceh's memory.

    python3 tests/load/run.py [--seconds 10] [--concurrency 16] [--max-requests 200000]

It builds ceh in release mode if needed, and needs cargo-lambda (bash .ci/install-tools) for the
Lambda path. Both paths answer with the built-in echo app, so what is measured is ceh itself
(and this Python client, which is the bottleneck on a small machine: compare runs, not absolutes).
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def events():
    routes = (ROOT / "fixtures/routes.toml").read_text().splitlines()
    files = [line.split('"')[1] for line in routes if 'kind = "event"' in line]
    bodies = [(ROOT / "fixtures" / f).read_bytes() for f in files]
    # CloudFormation events name a ResponseURL on the internet: loopback only, so leave them out.
    return [body for body in bodies if b"ResponseURL" not in body]


def drive(port, path, bodies, seconds, concurrency, max_requests):
    """Sends bodies round robin from `concurrency` threads for `seconds`; returns (latencies, errors)."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop = time.time() + seconds
    sent = [0]

    def worker(index):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = index
        while time.time() < stop:
            with lock:
                if sent[0] >= max_requests:
                    return
                sent[0] += 1
            body = bodies[i % len(bodies)]
            i += concurrency
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers={"content-type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status < 500
            except (OSError, http.client.HTTPException) as err:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                response = err
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append((getattr(response, "status", str(response)), body[:60]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def report(name, latencies, errors, seconds, rss):
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    start, warm, end = rss
    row = {
        "path": name,
        "requests": len(latencies),
        "throughput_per_s": round(len(latencies) / seconds),
        "p50_ms": round(p(0.50), 2),
        "p99_ms": round(p(0.99), 2),
        "errors": len(errors),
        "rss_start_kib": start,
        "rss_after_warmup_kib": warm,
        "rss_end_kib": end,
        "memory_flat": end <= warm * 1.2 + 1024,
        "error_samples": sorted({f"{status} {body.decode(errors='replace')}" for status, body in errors})[:5],
    }
    print(json.dumps(row))
    return row


def measure(name, pid, port, path, bodies, args):
    start = rss_kib(pid)
    drive(port, path, bodies, min(2, args.seconds), args.concurrency, args.max_requests)  # warm-up
    warm = rss_kib(pid)
    begun = time.time()
    latencies, errors = drive(port, path, bodies, args.seconds, args.concurrency, args.max_requests)
    elapsed = time.time() - begun
    return report(name, latencies, errors, elapsed, (start, warm, rss_kib(pid)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--ceh", default=str(ROOT / "target/release/ceh"))
    args = parser.parse_args()
    if not Path(args.ceh).exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "ceh"], cwd=ROOT, check=True)
    bodies = events()
    print(json.dumps({"machine_cores": os.cpu_count(), "events": len(bodies), "concurrency": args.concurrency, "seconds": args.seconds}))
    rows, processes = [], []
    try:
        # ceh serve, with the echo app.
        port = free_port()
        serve = subprocess.Popen([args.ceh, "serve", "--echo", "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
        processes.append(serve)
        wait_port(port)
        rows.append(measure("ceh serve", serve.pid, port, "/", bodies, args))

        # The Lambda path: cargo-lambda's runtime-API emulator, ceh lambda with the echo app.
        venv = ROOT / ".venv/bin"
        if not (venv / "cargo-lambda").exists():
            subprocess.run(["bash", str(ROOT / ".ci/install-tools")], check=True)
        emu_dir = tempfile.mkdtemp()
        Path(emu_dir, "Cargo.toml").write_text('[package]\nname = "emu"\nversion = "0.0.0"\nedition = "2021"\n')
        Path(emu_dir, "src").mkdir()
        Path(emu_dir, "src/main.rs").write_text("fn main() {}\n")
        emu_port = free_port()
        emulator = subprocess.Popen(
            [str(venv / "cargo-lambda"), "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(emu_port)],
            cwd=emu_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(emulator)
        wait_port(emu_port)
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{emu_port}/.rt", AWS_LAMBDA_FUNCTION_NAME="_",
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="1")
        # Lambda Managed Instances' concurrent invocations, then Lambda's default, one at a time.
        for name, extra in [(f"ceh lambda, {args.concurrency} at once (emulator)",
                             {"AWS_LAMBDA_MAX_CONCURRENCY": str(args.concurrency)}),
                            ("ceh lambda, one at a time (emulator)", {})]:
            lam = subprocess.Popen([args.ceh, "lambda", "--echo"], env=dict(env, **extra), stdout=subprocess.DEVNULL)
            processes.append(lam)
            time.sleep(0.5)
            rows.append(measure(name, lam.pid, emu_port, "/2015-03-31/functions/_/invocations", bodies, args))
            lam.terminate()
            lam.wait(timeout=5)
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
    if any(not row["memory_flat"] for row in rows):
        sys.exit("memory grew under load")


if __name__ == "__main__":
    main()
