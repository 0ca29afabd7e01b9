#!/usr/bin/env python3
"""Figures for a build server's package feed: requests/s and MB/s for Packages and for the largest .opk
(ApacheBench), and opkg_feed_verify's own MB/s over the whole feed (no assertions: numbers for people).

    .venv/bin/python bench/feed.py [--url http://127.0.0.1:PORT/minifix] [--recipe minifix] [--images-dir images]
                                   [--requests 200] [--concurrency 4] [--time-limit 30] [--runs 3]

Without --url the feed is the running build server's: "feed_url" in images/<recipe>/state/buildserver.json,
which playbooks/buildserver.yml writes. Only feeds on loopback are measured (guests' ports are forwarded to
127.0.0.1). Without a guest, serve any feed directory and point --url at it:

    python3 -m http.server -b 127.0.0.1 8000 -d /path/above/minifix &
    .venv/bin/python bench/feed.py --url http://127.0.0.1:8000/minifix
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ansible_collections.aloofix.buildstrap.plugins.module_utils.errors import SpecError  # noqa: E402
from ansible_collections.aloofix.buildstrap.plugins.module_utils.feed import packages, verify  # noqa: E402

# ab's summary lines -> our names (ab prints "Non-2xx responses" only when there were some).
_AB_FIGURES = {"complete": r"Complete requests:\s+(\d+)", "failed": r"Failed requests:\s+(\d+)",
               "non_2xx": r"Non-2xx responses:\s+(\d+)", "seconds": r"Time taken for tests:\s+([\d.]+) seconds",
               "rps": r"Requests per second:\s+([\d.]+)", "body_bytes": r"HTML transferred:\s+(\d+) bytes",
               "p50_ms": r"^\s+50%\s+(\d+)", "p95_ms": r"^\s+95%\s+(\d+)"}


def feed_url(args) -> str | None:
    if args.url:
        return args.url
    state = Path(args.images_dir) / args.recipe / "state" / "buildserver.json"
    try:
        return json.loads(state.read_text())["feed_url"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError) as exc:
        raise SystemExit(f"feed: {state} has no usable \"feed_url\" ({exc!r}); pass --url") from None


def ab_argv(url: str, args) -> list[str]:
    # -t before -n: ab's -t sets the request count to 50000, and a later -n bounds it again.
    return ["ab", "-q", "-t", str(args.time_limit), "-n", str(args.requests), "-c", str(args.concurrency),
            "-s", str(args.timeout), url]


def run_ab(url: str, args) -> dict:
    argv = ab_argv(url, args)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=args.time_limit + args.timeout + 30)
    except subprocess.TimeoutExpired:
        return {"error": f"ab did not finish within {args.time_limit + args.timeout + 30} s", "argv": argv}
    if proc.returncode != 0:
        return {"error": f"ab exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-400:]}", "argv": argv}
    figures = {"argv": argv}
    for name, pattern in _AB_FIGURES.items():
        match = re.search(pattern, proc.stdout, re.MULTILINE)
        figures[name] = float(match.group(1)) if match else 0.0
    figures["mb_per_s"] = figures["body_bytes"] / 1e6 / figures["seconds"] if figures["seconds"] else 0.0
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the feed's base URL (default: feed_url of the recipe's buildserver.json)")
    parser.add_argument("--images-dir", default=str(ROOT / "images"))
    parser.add_argument("--recipe", default="minifix")
    parser.add_argument("--requests", type=int, default=200, help="ab -n (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="ab -c (default 4)")
    parser.add_argument("--time-limit", type=int, default=30, help="ab -t, seconds per measurement (default 30)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds to wait for each response (default 30)")
    parser.add_argument("--runs", type=int, default=3, help="opkg_feed_verify runs (default 3)")
    args = parser.parse_args()

    url = feed_url(args)
    if url is None:
        print(f"feed: skipped, no build server: {Path(args.images_dir) / args.recipe / 'state' / 'buildserver.json'} "
              f"does not exist (run playbooks/buildserver.yml, or pass --url)")
        return 0
    try:
        base = verify.check_url(url)
    except SpecError as exc:
        print(f"feed: refused (this benchmark measures feeds on loopback only): {exc}")
        return 2

    opener = verify.opener_for(base)
    try:
        raw, _ = verify.fetch_index(opener, base, args.timeout)
        entries = packages.parse_packages(raw.decode("utf-8", errors="replace"), f"{base}/{packages.INDEX_NAME}")
    except packages.FeedError as exc:
        print(f"feed: cannot measure {base}: {exc}")
        return 1
    largest = max(entries, key=lambda e: e.size)
    total = sum(e.size for e in entries)
    print(f"feed {base}: {len(entries)} packages, {total / 1e6:.1f} MB; Packages {len(raw)} bytes; "
          f"largest {largest.filename} ({largest.size / 1e6:.2f} MB)")

    status = 0
    if shutil.which("ab") is None:
        print("ab (ApacheBench) is not installed: `apt-get install apache2-utils` (make setup installs it); "
              "request rates skipped")
        status = 1
    else:
        print(f"{'ab':<28}{'req/s':>10}{'MB/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'done':>6}{'failed':>7}   "
              f"(-n {args.requests} -c {args.concurrency} -t {args.time_limit})")
        for label, target in (("Packages", packages.INDEX_NAME), (largest.filename, largest.filename)):
            figures = run_ab(verify.file_url(base, target), args)
            if "error" in figures:
                print(f"{label[:27]:<28}{figures['error']}")
                status = 1
                continue
            failed = int(figures["failed"] + figures["non_2xx"])
            print(f"{label[:27]:<28}{figures['rps']:>10.1f}{figures['mb_per_s']:>10.1f}{figures['p50_ms']:>8.0f}"
                  f"{figures['p95_ms']:>8.0f}{figures['complete']:>6.0f}{failed:>7}")

    rates, seconds = [], []
    for _ in range(args.runs):
        try:
            result = verify.verify_feed(base, timeout=args.timeout)
        except packages.FeedError as exc:
            print(f"opkg_feed_verify: the feed does not verify:\n{exc}")
            if "seconds" not in exc.facts:
                return 1
            result, status = exc.facts, 1  # every file was still read, so the figures hold; once is enough
        rates.append(result["mb_per_s"] or 0.0)
        seconds.append(result["seconds"])
        if status:
            break
    print(f"opkg_feed_verify (Packages + {len(entries)} files, sha256/md5 streamed): "
          f"{statistics.median(seconds):.2f} s, {statistics.median(rates):.1f} MB/s, median of {len(rates)} run(s) "
          f"(best {max(rates):.1f} MB/s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
