#!/usr/bin/env python3
"""The duels, in one command, every target of docs/performance.md printed as a ratio measured in
this run and marked met or missed, with the machine's core count:

- 1a, 1c: `cargo bench --bench routing` (its ratio table only): the route from the event's bytes
  against parsing them into a serde_json Value, per source; 1,000 user rules against the built-in
  table. Draws docs/performance.svg from target/routing-ratios.csv.
- 4: ceh's in-process handler from each event's bytes to its reply's bytes with a bare app (the
  routing bench with ROUTING_HANDLE_EVENTS) against serde_json parsing the same events into a
  Value, timed in the same run; beside it, the Python seed (cloud-events==0.3.0 from PyPI, with a
  bare WSGI app: `json.loads`, `handler`, `json.dumps`), one core each, the same events, in rounds
  taking turns. `ceh explain --ndjson` over the same events is its own throughput figure.
- memory batch: the peak RSS of `ceh invoke` on a 10,000-message SQS batch of about 5.9 MiB above its
  peak on a one-message batch, as a multiple of the batch's size (the kernel's count, getrusage).
- 2a-2d: benches/e2e_duel.py (the null adapter, Lambda Web Adapter, cold start, memory, fan-out),
  with ceh as the layer ships it (--lambda-build lean, the default: .ci/dist's lean musl build;
  `release` runs target/release/ceh, the glibc build, instead).
- 3: benches/serve_duel.py (`ceh serve` against nginx).

    python3 benches/duel.py [--events 100000] [--rounds 5] [--smoke] [--no-e2e] [--no-serve]
                            [--lambda-build lean|release]

--smoke (what CI runs): a few of everything, to prove the scripts run; it judges nothing.
Everything runs on this machine, loopback only; the seed package is installed into target/seed-venv.
Writes target/duel.json with every figure.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_VENV = ROOT / "target/seed-venv"
# What users run on Lambda: the layer's lean musl build (e2e_duel.py --lambda-build).
LAMBDA_BUILD = "lean"

SEED_DRIVER = r'''
import json, os, sys, time
os.environ["WSGI_APPLICATION"] = "bare.app"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_events.handler import handler
lines = open(sys.argv[1], "rb").read().splitlines()
started = time.perf_counter()
failed = 0
for line in lines:
    try:
        json.dumps(handler(json.loads(line), None))
    except Exception:
        failed += 1
elapsed = time.perf_counter() - started
print(json.dumps({"events": len(lines), "seconds": elapsed, "failed": failed}))
'''

BARE_APP = '''
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''


def events_file(count):
    routes = (ROOT / "fixtures/routes.toml").read_text().splitlines()
    files = [line.split('"')[1] for line in routes if 'kind = "event"' in line]
    lines = []
    for f in files:
        body = json.loads((ROOT / "fixtures" / f).read_bytes())
        if isinstance(body, dict) and "ResponseURL" not in body:
            lines.append(json.dumps(body))
    path = ROOT / "target/duel-events.ndjson"
    with open(path, "w") as out:
        for i in range(count):
            out.write(lines[i % len(lines)] + "\n")
    return path


def ceh_binary():
    """target/release/ceh, built from this checkout (cargo does nothing when it is up to date)."""
    subprocess.run(["cargo", "build", "--release", "--bin", "ceh"], cwd=ROOT, check=True)
    return ROOT / "target/release/ceh"


def explain_throughput(path, count):
    """`ceh explain --ndjson` over the file, on every core: events a second."""
    ceh = str(ceh_binary())
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        result = subprocess.run([ceh, "explain", "--ndjson", str(path)], stdout=sink, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"ceh failed: {result.stderr.decode()}")
    return count / elapsed


def seed_python():
    python = SEED_VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SEED_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "cloud-events==0.3.0"], check=True)
    (SEED_VENV / "driver.py").write_text(SEED_DRIVER)
    (SEED_VENV / "bare.py").write_text(BARE_APP)
    return python


def routing_bench():
    """Builds the routing bench; returns its executable."""
    out = subprocess.run(["cargo", "bench", "--bench", "routing", "--no-run", "--message-format=json"],
                         cwd=ROOT, check=True, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable") and message["target"]["name"] == "routing":
            return message["executable"]
    sys.exit("cargo bench --bench routing --no-run named no executable")


def one_core(argv, env=None):
    """Runs argv pinned to one core (the first), returns its JSON line."""
    pin = ["taskset", "-c", "0"] if subprocess.run(["which", "taskset"], capture_output=True).returncode == 0 else []
    out = subprocess.run(pin + argv, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def seed_duel(path, bench, rounds):
    """The seed and ceh's in-process handler over the same events, one core each, in turns."""
    python = seed_python()
    env = dict(os.environ, ROUTING_HANDLE_EVENTS=str(path))
    runs = {"seed": [], "ceh": []}
    for round_ in range(rounds):
        for who in (("seed", "ceh") if round_ % 2 == 0 else ("ceh", "seed")):
            if who == "seed":
                runs["seed"].append(one_core([str(python), str(SEED_VENV / "driver.py"), str(path)]))
            else:
                runs["ceh"].append(one_core([bench, "--bench", "ratios-only"], env))
    rate = {who: [r["events"] / r["seconds"] for r in rs] for who, rs in runs.items()}
    per_round = [c / s for c, s in zip(rate["ceh"], rate["seed"])]
    return {"events": runs["seed"][0]["events"], "rounds": rounds,
            "seed_events_per_s": round(statistics.median(rate["seed"])), "seed_failed": runs["seed"][0]["failed"],
            "ceh_events_per_s": round(statistics.median(rate["ceh"])), "ceh_failed": runs["ceh"][0]["failed"],
            "ratio": statistics.median(rate["ceh"]) / statistics.median(rate["seed"]), "rounds_ratio": per_round,
            # The floor of any JSON-in handler: serde_json parsing the same events into a Value,
            # timed in the same process as ceh's handling, so each run gives a ratio of its own.
            "parse_events_per_s": round(statistics.median(r["events"] / r["parse_seconds"] for r in runs["ceh"])),
            "parse_ratio": statistics.median(r["parse_seconds"] / r["seconds"] for r in runs["ceh"]),
            "parse_rounds_ratio": [r["parse_seconds"] / r["seconds"] for r in runs["ceh"]]}


def sqs_batch(records, size=None):
    """An SQS batch of `records` messages (distinct ids) from the fixture's first, compact; with
    `size`, each body padded so that the whole is about that many bytes."""
    first = json.loads((ROOT / "fixtures/sqs/basic.json").read_bytes())["Records"][0]
    # Without message attributes, as most messages come: 10,000 of them then fit in Lambda's 6 MiB.
    first = {key: value for key, value in first.items() if key != "md5OfMessageAttributes"}
    first["messageAttributes"] = {}
    def batch(body):
        out = [dict(first, messageId=f"message-{i:08}", body=body) for i in range(records)]
        return json.dumps({"Records": out}, separators=(",", ":")).encode()
    if size is None:
        return batch(first["body"])
    bare = len(batch(""))
    return batch("x" * max(0, (size - bare) // records))


def peak_rss_kib(argv):
    """The peak resident set of a command, in KiB, as the kernel counted it (getrusage)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code] + argv, check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def batch_memory(repeats):
    """Peak RSS of `ceh invoke` (the built-in echo app) on a 10,000-message SQS batch of about
    5.9 MiB above its peak on a one-message batch, as a multiple of the big event's size; the
    runs take turns, and the median of `repeats` each counts."""
    big, small = ROOT / "target/duel-sqs-10000.json", ROOT / "target/duel-sqs-1.json"
    big.write_bytes(sqs_batch(10_000, size=int(5.9 * 1024 * 1024)))
    small.write_bytes(sqs_batch(1))
    ceh = str(ceh_binary())
    peaks = {"big": [], "small": []}
    for _ in range(repeats):
        peaks["big"].append(peak_rss_kib([ceh, "invoke", str(big)]))
        peaks["small"].append(peak_rss_kib([ceh, "invoke", str(small)]))
    size = big.stat().st_size
    over = [(b - s) * 1024 / size for b, s in zip(peaks["big"], peaks["small"])]
    return {"event_bytes": size, "peak_kib": statistics.median(peaks["big"]),
            "small_peak_kib": statistics.median(peaks["small"]), "ratio": statistics.median(over), "spread": over}


def figure(key, what, measured, limit, spread=None, at_most=True):
    met = None if measured is None or limit is None else (measured <= limit if at_most else measured >= limit)
    return {"id": key, "what": what, "measured": None if measured is None else round(measured, 3),
            "target": "" if limit is None else f"{'≤' if at_most else '≥'} {limit}×",
            "spread": None if not spread else [round(min(spread), 3), round(max(spread), 3)], "met": met}


def chart(csv_path, svg_path):
    rows = [line.split(",") for line in csv_path.read_text().splitlines()[1:] if not line.startswith("scale")]
    # source, parse_ns, route_ns, ratio, assemble_ns, floor, min, max: the floor is the parse plus
    # assembling the same requests from finished parts; min-max the per-round spread.
    rows = [(row[0], float(row[3]), float(row[5]) if row[5] else None,
             float(row[6]) if len(row) > 7 else None, float(row[7]) if len(row) > 7 else None) for row in rows]
    width, bar, gap, left = 640, 12, 3, 170
    height = 48 + len(rows) * (bar + gap) + 30
    top = max([r[4] or r[1] for r in rows] + [2.0])
    x = lambda v: left + (width - left - 60) * v / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="10">',
             '<text x="10" y="20" font-size="13">Route from the bytes (check + classify + synthesize) per source, ÷ parsing them into a Value;</text>',
             '<text x="10" y="34">black tick: the floor (the parse plus assembling the same requests); grey: min–max of the rounds</text>']
    for i, (source, ratio, floor, low, high) in enumerate(rows):
        y = 44 + i * (bar + gap)
        colour = "#3a7" if ratio <= 1.0 else "#db3" if ratio <= 1.5 else "#d73"
        parts.append(f'<text x="{left - 6}" y="{y + bar - 2}" text-anchor="end">{source}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{x(ratio) - left:.1f}" height="{bar}" fill="{colour}"/>')
        if low is not None:
            parts.append(f'<rect x="{x(low):.1f}" y="{y + bar / 2 - 1:.1f}" width="{max(x(high) - x(low), 1):.1f}" height="2" fill="#777"/>')
        parts.append(f'<text x="{x(max(ratio, high or ratio)) + 4:.1f}" y="{y + bar - 2}">{ratio:.2f}×</text>')
        if floor is not None:
            parts.append(f'<rect x="{x(floor) - 1:.1f}" y="{y - 1}" width="2" height="{bar + 2}" fill="#000"/>')
    for limit, label in ((1.0, "median ≤ 1.0×"), (1.5, "each ≤ 1.5×")):
        at = x(limit)
        parts.append(f'<line x1="{at:.1f}" y1="40" x2="{at:.1f}" y2="{height - 24}" stroke="#555" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{at:.1f}" y="{height - 10}" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    svg_path.write_text("\n".join(parts) + "\n")


def print_figures(figures, cores, smoke):
    print(f"\nevery target ({cores} cores{'; smoke: nothing is judged' if smoke else ''}; "
          "spread: min–max of the per-round ratios)")
    for f in figures:
        spread = f"  [{f['spread'][0]:.2f}–{f['spread'][1]:.2f}]" if f["spread"] else ""
        measured = "n/a" if f["measured"] is None else f"{f['measured']:.2f}×"
        mark = "-" if smoke or f["met"] is None else "met" if f["met"] else "MISSED"
        print(f"  {f['id']:<24} {measured:>8} {f['target']:<7} {mark:<6}{spread}  {f['what']}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, help="seed duel rounds (default 5, smoke 1)")
    parser.add_argument("--smoke", action="store_true", help="a quick run that checks the duels still work")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end duel (2a-2d)")
    parser.add_argument("--no-serve", action="store_true", help="skip the duel with nginx (3)")
    parser.add_argument("--lambda-build", choices=("lean", "release"), default=LAMBDA_BUILD,
                        help=f"the ceh build e2e_duel.py runs as the Lambda runtime (default {LAMBDA_BUILD})")
    args = parser.parse_args()
    if args.smoke:
        args.events = min(args.events, 2_000)
    args.rounds = args.rounds or (1 if args.smoke else 5)
    cores = os.cpu_count()
    figures, result = [], {"cores": cores, "mode": "smoke" if args.smoke else "full", "date": time.strftime("%Y-%m-%d")}

    bench = routing_bench()
    env = dict(os.environ, ROUTING_ROUNDS="1" if args.smoke else os.environ.get("ROUTING_ROUNDS", "21"))
    subprocess.run([bench, "--bench", "ratios-only"], check=True, env=env, cwd=ROOT)
    routing = json.loads((ROOT / "target/routing-figures.json").read_text())
    result["routing"] = routing
    r = routing["route_over_parse"]
    figures.append(figure("1a median", f"route from the bytes ÷ parse to a Value, median of {r['sources']} sources",
                          r["median"], 1.0, r["spread_of_medians"]))
    figures.append(figure("1a worst", f"the same, the worst source ({r['worst']['source']}; "
                                      f"{r['within_1_5']} of {r['sources']} within 1.5×)",
                          r["worst"]["ratio"], 1.5, [r["worst"]["min"], r["worst"]["max"]]))
    s = routing["scale"]
    figures.append(figure("1c", "1,000 user rules ÷ the built-in table", s["ratio"], 1.5, [s["min"], s["max"]]))
    if not args.smoke:
        chart(ROOT / "target/routing-ratios.csv", ROOT / "docs/performance.svg")
        print("wrote docs/performance.svg")

    path = events_file(args.events)
    seed = seed_duel(path, bench, args.rounds)
    explain = explain_throughput(path, args.events)
    result["seed"] = dict(seed, explain_ndjson_events_per_s=round(explain))
    print(f"\nseed duel, {seed['events']} events, {seed['rounds']} rounds, one core each: ceh's handler "
          f"{seed['ceh_events_per_s']} events/s ({seed['ceh_failed']} refused), the seed {seed['seed_events_per_s']} "
          f"events/s ({seed['seed_failed']} raised); parsing them alone {seed['parse_events_per_s']} events/s; "
          f"`ceh explain --ndjson` on {cores} cores: {round(explain)} events/s")
    figures.append(figure("4", "ceh's in-process handler, bytes → reply bytes ÷ serde_json's parse of the same "
                               "events to a Value, events/s, one core", seed["parse_ratio"], 1.0,
                          seed["parse_rounds_ratio"], at_most=False))
    figures.append(figure("4 seed", "the same handler ÷ the Python seed (json.loads, handler, json.dumps), events/s per core",
                          seed["ratio"], None, seed["rounds_ratio"]))
    figures.append(figure("explain", f"`ceh explain --ndjson` ({cores} cores) ÷ the seed (one core), events/s",
                          explain / seed["seed_events_per_s"], None))

    memory = batch_memory(1 if args.smoke else 5)
    result["batch_memory"] = memory
    print(f"\nceh invoke on a 10,000-message SQS batch of {memory['event_bytes']} bytes: peak RSS "
          f"{memory['peak_kib']} KiB, {memory['small_peak_kib']} KiB on a one-message batch")
    figures.append(figure("memory batch", "peak RSS of `ceh invoke` on a 10,000-message SQS batch above a one-message "
                                          "batch's, ÷ the batch's size", memory["ratio"], 3, memory["spread"]))

    status = 0
    for skip, script, out in ((args.no_e2e, "e2e_duel.py", "e2e-duel.json"), (args.no_serve, "serve_duel.py", "serve-duel.json")):
        if skip:
            continue
        argv = [sys.executable, str(ROOT / "benches" / script)] + (["--smoke"] if args.smoke else [])
        if script == "e2e_duel.py":
            argv += ["--lambda-build", args.lambda_build]
        code = subprocess.run(argv).returncode
        status = status or code
        if code == 0:
            sub = json.loads((ROOT / "target" / out).read_text())
            result[out.split(".")[0]] = sub
            figures.extend(sub["figures"])
    result["figures"] = figures
    print_figures(figures, cores, args.smoke)
    (ROOT / "target/duel.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print("wrote target/duel.json")
    sys.exit(status)


if __name__ == "__main__":
    main()
