"""Benchmark a whole poll cycle of 1,000 feeds: watchbot against the `reader` library.

    .venv/bin/python bench/bench_fetch.py [--feeds 1000] [--cycles cold,warm,changed] [--seed 2024]

bench/feedserver.py serves `--feeds` generated RSS feeds (50 items, ~47 KB each) from 50
loopback addresses (127.0.0.2 … 127.0.0.51), each request answered after a seeded 50–250 ms
delay, in a process of its own. Then, cycle by cycle, each contender runs as a subprocess whose
wall time, CPU time (user + sys) and peak RSS come from `os.wait4`:

- watchbot: `python -m watchbot poll --all --config CONFIG`, CONFIG generated in a temporary
  folder with every feed, its database there, `watchlists:` the repo's watchlists/; no SLACK_*
  variables, so alerts are printed (stdout goes to /dev/null);
- reader: bench/reader_driver.py in reader's own venv (`--reader-python`, default
  /work/scratch/readervenv, created with `pip install reader sgmllib3k` when missing), which adds
  the feeds once (untimed) and runs `update_feeds(scheduled=False, workers=16)` per cycle.

Cycles: `cold` (first poll, empty state; must come first), `warm` (nothing changed), `changed`
(10% of the feeds gained 3 new items, about a third of them watchlist stories). Both contenders
run each cycle against the same server state, one after the other. For watchbot the alerts
recorded in the cycle are read from its SQLite database (`alerts.created`), and the time from
the cycle's start to the last one is reported.

Prints Markdown tables (results, targets of issue 8, server-side checks); bench/README.md keeps
the latest. Only loopback addresses are used; the server stops at a deadline and on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
FEEDSERVER = ROOT / "bench" / "feedserver.py"
READER_DRIVER = ROOT / "bench" / "reader_driver.py"
DEFAULT_READER_VENV = Path("/work/scratch/readervenv")
CYCLES = ("cold", "warm", "changed")
CONTENDERS = ("watchbot", "reader")
# variables that would send a child's requests elsewhere, or post alerts to a real Slack
_DROP_ENV = ("SLACK_", "WATCHBOT_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the feed server -----------------------------------------------------------------------------


class FeedServers:
    """bench/feedserver.py in its own process; JSON lines over its stdin and stdout."""

    def __init__(self, args: argparse.Namespace, deadline: float) -> None:
        argv = [
            sys.executable,
            str(FEEDSERVER),
            f"--feeds={args.feeds}",
            f"--hosts={args.hosts}",
            f"--seed={args.seed}",
            f"--deadline={deadline:.0f}",
        ]
        if args.no_gzip:
            argv.append("--no-gzip")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.info = self._read(timeout=60 + args.feeds / 50)  # ~10 s per 1,000 feeds to generate
        if not self.info.get("ready"):
            raise SystemExit(f"feed server did not start: {self.info}")
        self.ports: dict[str, int] = self.info["ports"]

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise SystemExit(f"feed server gave no answer (exit status {self.proc.poll()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def command(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read(timeout=120)

    def url(self, index: int, feeds: int) -> str:
        hosts = list(self.ports)
        host = hosts[index * len(hosts) // feeds]
        return f"http://{host}:{self.ports[host]}/feeds/{index}.xml"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write('{"cmd": "stop"}\n')
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


async def _get(host: str, port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return len(await reader.read())
    finally:
        writer.close()


async def _burst(urls: list[tuple[str, int, str]]) -> tuple[float, int, int]:
    start = time.monotonic()
    results = await asyncio.gather(*(_get(*u) for u in urls), return_exceptions=True)
    sizes = [r for r in results if isinstance(r, int)]
    return time.monotonic() - start, len(sizes), sum(sizes)


def check_servers(servers: FeedServers, feeds: int) -> str:
    """All feeds at once from this process: if the servers can hold them all, the whole burst
    takes about the longest delay (250 ms), not the sum."""
    urls = []
    for i in range(min(feeds, 1000)):
        index = i * feeds // min(feeds, 1000)
        host = list(servers.ports)[index * len(servers.ports) // feeds]
        urls.append((host, servers.ports[host], f"/feeds/{index}.xml"))
    wall, ok, size = asyncio.run(_burst(urls))
    stats = servers.command(cmd="stats")
    if ok < len(urls):
        raise SystemExit(f"server check: only {ok} of {len(urls)} requests answered")
    return (
        f"{len(urls):,} concurrent requests to {len(servers.ports)} addresses answered in "
        f"{wall:.2f} s ({size / 1e6:.0f} MB; longest delay 0.25 s); server CPU "
        f"{stats['cpu_s']:.2f} s, lateness beyond the delay p50 {stats['late_ms_p50']:.1f} ms, "
        f"p99 {stats['late_ms_p99']:.1f} ms"
    )


# --- measured runs -------------------------------------------------------------------------------


@dataclass
class Run:
    contender: str
    cycle: str
    wall: float
    cpu: float
    peak_mb: float
    status: int
    started: float  # epoch seconds
    label: str = ""  # the cycle's name in the tables ("warm 2" when repeated)
    server: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


def measure(argv: list[str], env: dict[str, str], out: TextIO | int, err: TextIO, timeout: float):
    """Run argv; its own wall time, user+sys CPU and peak RSS (os.wait4 gives one child's)."""
    started = time.time()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode, started  # ru_maxrss is in KiB


def child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.upper().startswith(_DROP_ENV)}


def write_config(path: Path, urls: list[str], workers: int | None = None) -> None:
    lines = [
        "# generated by bench/bench_fetch.py",
        f"database: {json.dumps(str(path.parent / 'watchbot.db'))}",
        f"watchlists: {json.dumps(str(ROOT / 'watchlists'))}",
        "defaults:",
        "  interval: 10m",
        "  timeout: 20s",
        "  max_age: 48h",
        "slack:",
        '  channel: "#news-alerts"',
    ]
    if workers is not None:  # else watchbot's default fetch.workers
        lines += ["fetch:", f"  workers: {workers}"]
    lines += ["feeds:"]
    for i, url in enumerate(urls):
        lines += [f'  - name: "Bench feed {i:05d}"', f"    url: {json.dumps(url)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def watchbot_alerts(db: Path, since: float) -> dict[str, Any]:
    """Alerts and items recorded since `since` (epoch s), and when the last alert was."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        alerts = conn.execute("SELECT created, status FROM alerts").fetchall()
        items = conn.execute("SELECT seen_at FROM items").fetchall()
    finally:
        conn.close()
    times = [datetime.fromisoformat(c).timestamp() for c, _ in alerts]
    recent = [t for t in times if t >= since]
    statuses: dict[str, int] = {}
    for (_created, status), t in zip(alerts, times, strict=True):
        if t >= since:
            statuses[status] = statuses.get(status, 0) + 1
    return {
        "alerts": len(recent),
        "alert_statuses": statuses,
        "last_alert_s": round(max(recent) - since, 2) if recent else None,
        "new_items": sum(datetime.fromisoformat(s).timestamp() >= since for (s,) in items),
    }


def run_watchbot(cycle: str, config: Path, work: Path, timeout: float) -> Run:
    err_path = work / f"watchbot-{cycle}.stderr"
    argv = [sys.executable, "-m", "watchbot", "poll", "--all", "--config", str(config)]
    with err_path.open("w") as err:
        wall, cpu, peak, status, started = measure(
            argv, child_env(), subprocess.DEVNULL, err, timeout
        )
    tail = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    detail = watchbot_alerts(work / "watchbot.db", started)
    detail["summary"] = next((line for line in reversed(tail) if "polled" in line), "")
    if status != 0:
        log(f"watchbot exited {status}; see {err_path}")
    return Run("watchbot", cycle, wall, cpu, peak, status, started, detail=detail)


def run_reader(cycle: str, python: Path, work: Path, workers: int, timeout: float) -> Run:
    err_path = work / f"reader-{cycle}.stderr"
    out_path = work / f"reader-{cycle}.json"
    argv = [str(python), str(READER_DRIVER), "update", str(work / "reader.sqlite")]
    argv.append(f"--workers={workers}")
    with err_path.open("w") as err, out_path.open("w") as out:
        wall, cpu, peak, status, started = measure(argv, child_env(), out, err, timeout)
    text = out_path.read_text(encoding="utf-8").strip()
    detail = json.loads(text) if text else {}
    if status != 0:
        log(f"reader exited {status}; see {err_path}")
    return Run("reader", cycle, wall, cpu, peak, status, started, detail=detail)


def ensure_reader(python: Path) -> str:
    """reader's venv (outside the project's dependencies); its version."""
    if not python.exists():
        venv = python.parent.parent
        log(f"creating {venv} with reader and sgmllib3k (not a watchbot dependency)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "reader", "sgmllib3k"], check=True)
    code = "import reader, feedparser; print(reader.__version__, feedparser.__version__)"
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True)
    return out.stdout.strip()


# --- report --------------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "—"


def results_table(runs: list[Run], feeds: int) -> list[str]:
    out = [
        "| cycle | | wall s | CPU s | CPU ms/feed | peak MB |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    by = {(r.label, r.contender): r for r in runs}
    for label in dict.fromkeys(r.label for r in runs):
        rows = [by[(label, c)] for c in CONTENDERS if (label, c) in by]
        for r in rows:
            flag = "" if r.status == 0 else f" (exit {r.status})"
            out.append(
                f"| {label} | {r.contender}{flag} | {r.wall:.1f} | {r.cpu:.1f} | "
                f"{1000 * r.cpu / feeds:.2f} | {r.peak_mb:.0f} |"
            )
        if len(rows) == 2:
            w, r = rows
            out.append(
                f"| {label} | **watchbot/reader** | {_ratio(w.wall, r.wall)} | "
                f"{_ratio(w.cpu, r.cpu)} | {_ratio(w.cpu, r.cpu)} | "
                f"{_ratio(w.peak_mb, r.peak_mb)} |"
            )
    return out


def targets_table(runs: list[Run], feeds: int) -> list[str]:
    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("met" if ok else "**not met**")

    out = ["| target (issue 8) | measured | |", "| --- | --- | --- |"]
    by = {(r.label, r.contender): r for r in runs}
    for label in dict.fromkeys(r.label for r in runs):
        w, r = by.get((label, "watchbot")), by.get((label, "reader"))
        if w and r:
            ratio = w.wall / r.wall
            out.append(
                f"| {label}: wall ≤ 0.5× reader's | {ratio:.2f}× ({w.wall:.1f} s vs "
                f"{r.wall:.1f} s) | {verdict(ratio <= 0.5)} |"
            )
    for w in (r for r in runs if r.contender == "watchbot" and r.cycle == "warm"):
        ms = 1000 * w.cpu / feeds
        out.append(f"| {w.label}: CPU < 0.5 ms/feed | {ms:.2f} ms/feed | {verdict(ms < 0.5)} |")
        big = feeds >= 10_000
        out.append(
            f"| {w.label}: wall < 60 s at 10,000 feeds | {w.wall:.1f} s at {feeds:,} feeds"
            f" | {verdict(w.wall < 60 if big else None)} |"
        )
    peaks = [r.peak_mb for r in runs if r.contender == "watchbot"]
    if peaks:
        peak = max(peaks)
        out.append(
            f"| peak memory < 150 MB at 1,000 feeds | {peak:.0f} MB at {feeds:,} feeds | "
            f"{verdict(peak < 150 if feeds == 1000 else None)} |"
        )
    for w in (r for r in runs if r.contender == "watchbot" and r.cycle == "changed"):
        last = w.detail.get("last_alert_s")
        out.append(
            f"| {w.label}: last new item's alert recorded | "
            f"{'—' if last is None else f'{last:.1f} s'} after the cycle's start "
            f"({w.detail.get('alerts', 0)} alerts) | (reported) |"
        )
    return out


def details_table(runs: list[Run]) -> list[str]:
    out = [
        "| cycle | | what it did | requests (200 / 304) | sum of delays s | server CPU s | "
        "lateness p99 / max ms | peak in flight | peak conns/host |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        s = r.server
        codes = s.get("statuses", {})
        if r.contender == "watchbot":
            d = r.detail
            last = d.get("last_alert_s")
            did = (
                f"{d.get('new_items', 0):,} new items, {d.get('alerts', 0):,} alerts"
                + "".join(f", {n:,} {k}" for k, n in sorted(d.get("alert_statuses", {}).items()))
                + (f"; last at {last:.1f} s" if last else "")
            )
        else:
            d = r.detail
            did = (
                f"{d.get('updated', 0):,} feeds updated, {d.get('unmodified', 0):,} not "
                f"modified, {d.get('new', 0):,} new entries, {d.get('errors', 0)} errors"
            )
        out.append(
            f"| {r.label} | {r.contender} | {did} | "
            f"{s.get('requests', 0):,} ({codes.get('200', 0):,} / {codes.get('304', 0):,}) | "
            f"{s.get('delay_s', 0):.1f} | "
            f"{s.get('cpu_s', 0):.2f} | {s.get('late_ms_p99', 0):.1f} / "
            f"{s.get('late_ms_max', 0):.1f} | {s.get('max_in_flight', 0)} | "
            f"{s.get('max_connections_per_host', 0)} |"
        )
    return out


# --- main ----------------------------------------------------------------------------------------


def parse_cycles(text: str) -> list[str]:
    cycles = [c.strip() for c in text.split(",") if c.strip()]
    if not cycles or cycles[0] != "cold" or any(c not in CYCLES for c in cycles):
        raise argparse.ArgumentTypeError(
            f"a comma-separated list of {', '.join(CYCLES)}, starting with cold (empty state)"
        )
    if cycles.count("cold") > 1:
        raise argparse.ArgumentTypeError("cold can only come first: state is never emptied")
    return cycles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument(
        "--cycles", type=parse_cycles, default=list(CYCLES), help="default cold,warm,changed"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses (default 50)")
    parser.add_argument(
        "--only", choices=CONTENDERS, help="run one contender (e.g. watchbot at 10,000 feeds)"
    )
    parser.add_argument("--workers", type=int, default=16, help="reader's update_feeds workers")
    parser.add_argument(
        "--watchbot-workers",
        type=int,
        default=None,
        help="watchbot's fetch.workers (default: its own)",
    )
    parser.add_argument("--change-fraction", type=float, default=0.1)
    parser.add_argument("--change-items", type=int, default=3)
    parser.add_argument(
        "--reader-python", type=Path, default=DEFAULT_READER_VENV / "bin" / "python"
    )
    parser.add_argument("--no-gzip", action="store_true", help="serve bodies uncompressed")
    parser.add_argument(
        "--deadline", type=float, help="seconds before the servers stop (default: by --feeds)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    contenders = [args.only] if args.only else list(CONTENDERS)
    # generous: a sequential client needs ~0.15 s a feed a cycle; the server stops by itself then
    deadline = args.deadline or max(1800.0, 0.6 * args.feeds * len(args.cycles) * len(contenders))

    reader_version = ensure_reader(args.reader_python) if "reader" in contenders else ""
    work = Path(tempfile.mkdtemp(prefix="watchbot-bench-"))
    log(f"generating and serving {args.feeds:,} feeds (work folder {work})")
    servers = FeedServers(args, deadline)
    runs: list[Run] = []
    begun = time.monotonic()
    try:
        info = servers.info
        log(
            f"ready: {len(servers.ports)} addresses, {info['items']:,} items, "
            f"{info['feed_kb_mean']} KB a feed ({info['feed_gzip_kb_mean']} KB gzipped), "
            f"{info['without_validators']} without validators, {info['matching_items']:,} "
            "watchlist stories"
        )
        server_check = check_servers(servers, args.feeds)
        log(f"server check: {server_check}")
        urls = [servers.url(i, args.feeds) for i in range(args.feeds)]
        config = work / "watchbot.yaml"
        write_config(config, urls, args.watchbot_workers)
        reader_add = ""
        if "reader" in contenders:
            (work / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
            t0 = time.monotonic()
            argv = [str(args.reader_python), str(READER_DRIVER), "add"]
            argv += [str(work / "reader.sqlite"), str(work / "urls.txt")]
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            reader_add = f"reader add_feed ×{args.feeds:,}: {time.monotonic() - t0:.1f} s (untimed)"
            log(reader_add)
        seen: dict[str, int] = {}
        changes = []
        for number, cycle in enumerate(args.cycles, 1):
            seen[cycle] = seen.get(cycle, 0) + 1
            label = cycle if args.cycles.count(cycle) == 1 else f"{cycle} {seen[cycle]}"
            if cycle == "changed":
                change = servers.command(
                    cmd="change", fraction=args.change_fraction, items=args.change_items
                )
                changes.append(change)
                log(f"{label}: {change}")
            for contender in contenders:
                # reset the counters; both contenders of a cycle meet the same delays
                servers.command(cmd="stats", round=number)
                log(f"{label}: {contender}…")
                if contender == "watchbot":
                    run = run_watchbot(cycle, config, work, deadline)
                else:
                    run = run_reader(cycle, args.reader_python, work, args.workers, deadline)
                run.server = servers.command(cmd="stats")
                run.label = label
                runs.append(run)
                log(
                    f"{label}: {contender}: wall {run.wall:.1f} s, CPU {run.cpu:.1f} s, "
                    f"peak {run.peak_mb:.0f} MB, exit {run.status}; {run.detail}"
                )
    finally:
        servers.close()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    total = time.monotonic() - begun
    head = (
        f"#### {args.feeds:,} feeds × {info['items'] // args.feeds} items, "
        f"{args.hosts} addresses, seed {args.seed} (Python {sys.version.split()[0]}"
        + (
            f"; reader {reader_version.split()[0]}, feedparser {reader_version.split()[1]}"
            if reader_version
            else ""
        )
        + f"; {os.cpu_count()} CPUs)"
    )
    print(head)
    print()
    print("\n".join(results_table(runs, args.feeds)))
    print()
    print("\n".join(targets_table(runs, args.feeds)))
    print()
    print("Server side, per run (the servers are a separate process; lateness is time spent")
    print("answering beyond the intended 50–250 ms delay):")
    print()
    print("\n".join(details_table(runs)))
    print()
    print(f"Server check before the cycles: {server_check}.")
    if reader_add:
        print(f"Setup: {reader_add}.")
    for change in changes:
        print(
            f"Change: {change['changed']} feeds gained {change['new_items']} items, "
            f"{change['matching']} of them watchlist stories."
        )
    print(f"Whole run: {total / 60:.1f} min.")


if __name__ == "__main__":
    main()
