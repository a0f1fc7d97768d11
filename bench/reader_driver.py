"""The `reader` side of bench/bench_fetch.py; runs in reader's own venv, not the project's.

    READER_PYTHON bench/reader_driver.py add DB URLS_FILE
    READER_PYTHON bench/reader_driver.py update DB [--workers 16]

`add` makes the database and adds every URL of URLS_FILE (one a line) once; `update` is one
cycle: `make_reader(DB)` and `update_feeds_iter(scheduled=False, workers=16)`, which is what
`update_feeds(scheduled=False, workers=16)` runs (reader's own docs: "roughly equivalent to
`for _ in reader.update_feeds_iter(...): pass`"), here with the results tallied so the bench
can check that every feed was read. It prints one JSON line of counts on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys

from reader import make_reader


def add(db: str, urls_file: str) -> dict[str, int]:
    reader = make_reader(db)
    with open(urls_file, encoding="utf-8") as f:
        urls = [line.strip() for line in f if line.strip()]
    for url in urls:
        reader.add_feed(url, exist_ok=True)
    reader.close()
    return {"feeds": len(urls)}


def update(db: str, workers: int) -> dict[str, int]:
    reader = make_reader(db)
    counts = {"feeds": 0, "updated": 0, "unmodified": 0, "new": 0, "modified": 0, "errors": 0}
    for _url, value in reader.update_feeds_iter(scheduled=False, workers=workers):
        counts["feeds"] += 1
        if value is None:
            counts["unmodified"] += 1  # the server said 304 Not Modified
        elif isinstance(value, Exception):
            counts["errors"] += 1
            print(f"reader: {_url}: {value}", file=sys.stderr)
        else:
            counts["updated"] += 1
            counts["new"] += value.new
            counts["modified"] += value.modified
    reader.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["add", "update"])
    parser.add_argument("db")
    parser.add_argument("urls_file", nargs="?")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    if args.mode == "add":
        if not args.urls_file:
            parser.error("add needs URLS_FILE")
        result = add(args.db, args.urls_file)
    else:
        result = update(args.db, args.workers)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
