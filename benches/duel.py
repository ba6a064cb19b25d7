#!/usr/bin/env python3
"""The duels, in one command: routing throughput, `ceh explain --ndjson` over N real events versus
the Python cloud-events-handler (cloud-events==0.3.0 from PyPI) handling the same events with a bare
WSGI app; then the chart of per-source routing cost against the parse floor (from `cargo bench
--bench routing`, target/routing-ratios.csv) as docs/performance.svg; then the end-to-end duel with
Lambda Web Adapter, cold start and memory (benches/e2e_duel.py).

    python3 benches/duel.py [--events 100000] [--smoke] [--no-e2e]

--smoke (what CI runs): 2,000 events, e2e_duel.py --smoke, no chart.

Everything runs on this machine; the seed package is installed into target/seed-venv.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_VENV = ROOT / "target/seed-venv"

SEED_DRIVER = r'''
import json, os, sys, time
os.environ["WSGI_APPLICATION"] = "bare.app"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_events.handler import handler
events = [json.loads(line) for line in open(sys.argv[1])]
started = time.perf_counter()
failed = 0
for event in events:
    try:
        handler(event, None)
    except Exception:
        failed += 1
elapsed = time.perf_counter() - started
print(json.dumps({"events": len(events), "seconds": elapsed, "failed": failed}))
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


def ceh_throughput(path, count):
    ceh = ROOT / "target/release/ceh"
    if not ceh.exists():
        subprocess.run(["cargo", "build", "--release", "--bin", "ceh"], cwd=ROOT, check=True)
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        result = subprocess.run([str(ceh), "explain", "--ndjson", str(path)], stdout=sink, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"ceh failed: {result.stderr.decode()}")
    return count / elapsed


def seed_throughput(path):
    python = SEED_VENV / "bin/python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SEED_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "cloud-events==0.3.0"], check=True)
    (SEED_VENV / "driver.py").write_text(SEED_DRIVER)
    (SEED_VENV / "bare.py").write_text(BARE_APP)
    out = subprocess.run([str(python), str(SEED_VENV / "driver.py"), str(path)], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    return result["events"] / result["seconds"], result["failed"]


def chart(csv_path, svg_path):
    rows = [line.split(",") for line in csv_path.read_text().splitlines()[1:] if not line.startswith("scale")]
    # source, parse_ns, route_ns, ratio[, assemble_ns, floor]: the floor is the parse plus assembling
    # the same requests from finished parts, the least any router parsing into a Value could reach.
    rows = [(row[0], float(row[3]), float(row[5]) if len(row) > 5 and row[5] else None) for row in rows]
    width, bar, gap, left = 640, 14, 4, 170
    height = 48 + len(rows) * (bar + gap) + 30
    top = max([r for _, r, _ in rows] + [2.0])
    x = lambda v: left + (width - left - 40) * v / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<text x="10" y="20" font-size="13">Routing (classify + synthesize) per source, as a multiple of parsing the same JSON;</text>',
             f'<text x="10" y="34">a black tick marks the floor: the parse plus assembling the same requests from finished parts</text>']
    for i, (source, ratio, floor) in enumerate(rows):
        y = 44 + i * (bar + gap)
        colour = "#3a7" if ratio <= 1.3 else "#d73"
        parts.append(f'<text x="{left - 6}" y="{y + bar - 3}" text-anchor="end">{source}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{x(ratio) - left:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(f'<text x="{x(ratio) + 4:.1f}" y="{y + bar - 3}">{ratio:.2f}×</text>')
        if floor is not None:
            parts.append(f'<rect x="{x(floor) - 1:.1f}" y="{y - 1}" width="2" height="{bar + 2}" fill="#000"/>')
    target = x(1.3)
    parts.append(f'<line x1="{target:.1f}" y1="40" x2="{target:.1f}" y2="{height - 24}" stroke="#555" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{target:.1f}" y="{height - 10}" text-anchor="middle">target 1.3×</text>')
    parts.append("</svg>")
    svg_path.write_text("\n".join(parts) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="a quick run that checks the duels still work")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end duel with Lambda Web Adapter")
    args = parser.parse_args()
    if args.smoke:
        args.events = min(args.events, 2_000)
    path = events_file(args.events)
    ceh = ceh_throughput(path, args.events)
    seed, failed = seed_throughput(path)
    print(json.dumps({"cores": os.cpu_count(), "events": args.events, "ceh_events_per_s": round(ceh),
                      "seed_events_per_s": round(seed), "seed_failed": failed, "ratio": round(ceh / seed, 1)}))
    csv = ROOT / "target/routing-ratios.csv"
    if csv.exists() and not args.smoke:
        chart(csv, ROOT / "docs/performance.svg")
        print("wrote docs/performance.svg")
    if not args.no_e2e:
        e2e = [sys.executable, str(ROOT / "benches/e2e_duel.py")] + (["--smoke"] if args.smoke else [])
        sys.exit(subprocess.run(e2e).returncode)


if __name__ == "__main__":
    main()
