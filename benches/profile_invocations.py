#!/usr/bin/env python3
"""Runs one adapter under a profiler for N invocations of one event, under cargo-lambda's
runtime-API emulator with benches/app.js behind it, as benches/e2e_duel.py runs them: what
docs/performance.md's instruction counts per invocation come from.

    python3 benches/profile_invocations.py ceh fixtures/s3/put.json 1000 -- \\
        valgrind --tool=callgrind --callgrind-out-file=target/callgrind.ceh.%p
    python3 benches/profile_invocations.py null fixtures/s3/put.json 1000 -- valgrind --tool=callgrind ...
    python3 benches/profile_invocations.py ceh --batch kinesis:2000 2 -- valgrind --tool=callgrind ...
    python3 benches/profile_invocations.py ceh fixtures/sqs/basic.json 300 -- strace -f -tt -o target/ceh.trace
    python3 benches/profile_invocations.py ceh fixtures/s3/put.json 3000     # CPU per invocation
    python3 benches/profile_invocations.py ceh fixtures/s3/put.json 3000 --memory --concurrency 2

ADAPTER is ceh, null or lwa, built as benches/e2e_duel.py builds them (run it once, or with
--smoke, first). The command after `--` is put in front of the adapter's own; divide the profile's
total by N + 1 (the first invocation is the warm-up). Without one the adapter runs bare, and the
script prints the CPU time it used per invocation (user and system, from /proc/PID/stat, in clock
ticks of 10 ms: give it thousands of invocations): compare
two adapters run one after the other, each a few times, as the machine drifts. Everything binds
127.0.0.1.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_duel as duel  # noqa: E402


def main():
    argv = sys.argv[1:]
    wrapper = []
    if "--" in argv:
        at = argv.index("--")
        argv, wrapper = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", choices=duel.ADAPTERS)
    parser.add_argument("event", nargs="?", help="a fixture's path (or use --batch)")
    parser.add_argument("invocations", type=int)
    parser.add_argument("--batch", help="KIND:RECORDS, a kinesis or sqs batch as the fan-out duel makes it")
    parser.add_argument("--memory", action="store_true",
                        help="print the adapter's memory after the invocations (/proc/PID/status and smaps)")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="AWS_LAMBDA_MAX_CONCURRENCY for the adapter (Lambda Managed Instances)")
    parser.add_argument("--binary", help="this build of the adapter instead of the duel's")
    args = parser.parse_args(argv)
    if args.batch:
        kind, records = args.batch.split(":")
        body = duel.batch_event(kind, int(records))
    elif args.event:
        body = (duel.ROOT / args.event).read_bytes()
    else:
        parser.error("give a fixture or --batch")
    with tempfile.TemporaryDirectory(prefix="profile-") as workdir:
        processes = duel.Processes(workdir)
        try:
            emulator = duel.start_emulator(processes, workdir)
            app = duel.start_app(processes)
            binary = args.binary or {"ceh": duel.CEH, "null": duel.NULL, "lwa": duel.LWA}[args.adapter]
            extra = {"AWS_LAMBDA_MAX_CONCURRENCY": str(args.concurrency)} if args.concurrency > 1 else {}
            adapter = processes.start(args.adapter, [*wrapper, str(binary)],
                                      env=duel.adapter_env(args.adapter, emulator, app, extra))
            client = duel.Client(emulator, duel.INVOKE_PATH, timeout=600)
            status, reply = duel.first_reply(client, args.adapter, adapter, body, seconds=300)
            if status != 200:
                raise duel.Failed(f"{args.adapter}: {status} {reply[:200]!r}")
            before = cpu_seconds(adapter.pid)
            for _ in range(args.invocations):
                status, reply, _ = client.post(body)
                if status != 200:
                    raise duel.Failed(f"{args.adapter}: {status} {reply[:200]!r}")
            after = cpu_seconds(adapter.pid)
            if args.memory:
                print(memory(adapter.pid))
            client.close()
            # Stopped with SIGTERM, so that a profiler writes its output.
            processes.stop(adapter)
        except duel.Failed as failure:
            sys.exit(f"profile failed: {failure}")
        finally:
            processes.stop_all()
    print(f"{args.invocations + 1} invocations of {args.adapter}")
    if not wrapper and args.invocations:
        # The process's own CPU time (/proc/PID/stat) over the timed invocations, warm-up excluded.
        user, system = ((b - a) * 1e6 / args.invocations for a, b in zip(before, after))
        print(f"CPU per invocation: {user + system:.0f} µs ({user:.0f} user, {system:.0f} system)")


def memory(pid):
    """VmRSS and its parts, and the resident KiB of the stack, the heap and the other
    anonymous mappings (threads' stacks and malloc arenas), from /proc."""
    status = {line.split(":")[0]: line.split(":")[1].strip()
              for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line}
    parts = [f"{key} {status[key]}" for key in ("VmRSS", "RssAnon", "RssFile", "Threads") if key in status]
    resident, name = {}, None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:
            name = fields[5] if len(fields) > 5 else "[anon]"
        elif fields[0] == "Rss:" and name and name.startswith("["):
            resident[name] = resident.get(name, 0) + int(fields[1])
    return " | ".join(parts + [f"{key} {kib} kB" for key, kib in sorted(resident.items()) if kib])


def cpu_seconds(pid):
    """(user, system) CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


if __name__ == "__main__":
    main()
