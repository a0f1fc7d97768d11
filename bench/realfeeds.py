"""The real-world corpus (../shared/realfeeds) through watchbot's real fetch path, against plain
`feedparser.parse` of the same bytes.

    .venv/bin/python bench/realfeeds.py [--corpus ../shared/realfeeds] [--details]

Every file of MANIFEST.tsv is served by a local HTTP server on 127.0.0.1 with a plausible
Content-Type (`application/atom+xml` or `application/rss+xml`, with the XML declaration's charset
when it has one, as a server configured for the file would send; none otherwise), polled by one
real `Pipeline.run_cycle` (one worker, so the order across feeds is the manifest's) into a real
SQLite store, and compared with `feedparser.parse(bytes)`:

- items: every entry feedparser finds must be a stored item of its feed, or be explained by a
  rule: no title and no text (nothing to match or show); the same item twice in one feed (same
  GUID, or same URL with no GUID); the same item already stored from another feed. Anything
  else is *unexplained*;
- text, ours against plain feedparser's: headlines or texts with mojibake (Ã, Â, â€), with raw
  entities (`&ldquo;`), links that stay relative, and dated entries that get no date.

The files are read from the corpus folder and never copied. Prints Markdown tables; bench/README.md
keeps the latest. tests/test_realfeeds.py runs this and asserts 0 unexplained.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import re
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import feedparser

from watchbot.config import load_config
from watchbot.fetch import fetch_feed, item_keys
from watchbot.fetch.dates import parse_romance_date
from watchbot.notify import ConsoleSink, Outbox
from watchbot.pipeline import Pipeline, utc_now
from watchbot.store import SqliteStore
from watchbot.text import strip_html

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "realfeeds"
MOJIBAKE = re.compile("Ã|Â|â€")
RAW_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]+);")
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")


def content_type(data: bytes) -> str:
    head = data[:2048].lower()
    media = "application/atom+xml" if b"<feed" in head else "application/rss+xml"
    m = _DECLARED.match(data[:200])
    return f"{media}; charset={m.group(1).decode()}" if m else media


class _Handler(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, Path]] = {}

    def do_GET(self) -> None:
        path = self.files.get(unquote(self.path.lstrip("/")))
        if path is None:
            self.send_error(404)
            return
        data = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type(data))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Row:
    file: str
    kind: str
    entries: int = 0  # plain feedparser
    stored: int = 0
    empty: int = 0  # no title and no text
    twice: int = 0  # the same item twice in this feed
    elsewhere: int = 0  # the same item stored from another feed
    error: str | None = None
    plain: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)

    @property
    def unexplained(self) -> int:
        if self.error:
            return self.entries  # a feed refused although feedparser found entries
        return self.entries - self.stored - self.empty - self.twice - self.elsewhere


def text_checks(
    title: str, text: str, url: str | None, dated: bool, has_date: bool
) -> Counter[str]:
    found: Counter[str] = Counter()
    found["mojibake"] += bool(MOJIBAKE.search(title) or MOJIBAKE.search(text))
    found["raw entities"] += bool(RAW_ENTITY.search(title) or RAW_ENTITY.search(text))
    found["relative links"] += bool(url) and not urlsplit(str(url)).scheme
    found["missing dates"] += dated and not has_date
    return found


@contextlib.contextmanager
def plain_feedparser() -> Any:
    """feedparser as it comes: without the date handler watchbot registers in it."""
    handlers = feedparser.datetimes._date_handlers
    ours = [h for h in handlers if h is parse_romance_date]
    for h in ours:
        handlers.remove(h)
    try:
        yield
    finally:
        handlers[:0] = ours


def plain_checks(data: bytes) -> tuple[int, Counter[str]]:
    with plain_feedparser():
        parsed: Any = feedparser.parse(io.BytesIO(data))
    found: Counter[str] = Counter()
    for e in parsed.entries:
        title = strip_html(e.get("title") or "")
        text = strip_html(e.get("summary") or "")
        dated = bool(e.get("published") or e.get("updated"))
        parsed_date = dict.get(e, "published_parsed") or dict.get(e, "updated_parsed")
        found += text_checks(title, text, e.get("link"), dated, bool(parsed_date))
    return len(parsed.entries), found


def run(corpus: Path) -> list[Row]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as f:
        manifest = list(csv.DictReader(f, delimiter="\t"))
    files = {m["file"]: corpus / "files" / m["file"] for m in manifest}
    _Handler.files = files
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as tmp:
        rows = _poll(Path(tmp), base, manifest, files)
    server.shutdown()
    server.server_close()
    return rows


def _poll(
    tmp: Path, base: str, manifest: list[dict[str, str]], files: dict[str, Path]
) -> list[Row]:
    (tmp / "watchlists").mkdir()
    (tmp / "watchlists" / "none.yaml").write_text("name: none\nentries: []\n", encoding="utf-8")
    lines = [
        "database: state.db",
        "watchlists: watchlists",
        "defaults:",
        "  max_age: 36500d",
        "fetch:",
        "  workers: 1",
        "feeds:",
    ]
    for m in manifest:
        lines += [f"  - name: {m['file']!r}", f"    url: {base}{quote(m['file'])}"]
    (tmp / "watchbot.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(tmp / "watchbot.yaml")
    store = SqliteStore.open(config.database)
    pipeline = Pipeline(config, [], store, Outbox(store, ConsoleSink(io.StringIO()), utc_now))
    with contextlib.redirect_stdout(io.StringIO()):
        report = pipeline.run_cycle(config.feeds)
    outcomes = {o.feed: o for o in report.feeds}
    rows = []
    for m in manifest:
        name = m["file"]
        row = Row(name, m["kind"])
        row.entries, row.plain = plain_checks(files[name].read_bytes())
        row.error = outcomes[name].error
        if not row.error:  # what the fetch parsed, read again the same way for the checks
            feed = next(f for f in config.feeds if f.name == name)
            _account(row, fetch_feed(feed, pipeline.client).stories, store)
        rows.append(row)
    pipeline.close()
    store.close()
    return rows


def _account(row: Row, found: Any, store: SqliteStore) -> None:
    row.empty = row.entries - len(found)  # dropped by the parser: no title and no text
    owners: set[tuple[str, ...]] = set()
    for story in found:
        item = None
        for key in item_keys(story):
            item = store.item_of_key(key)
            if item is not None:
                break
        if item is None:
            continue  # lost: counted as unexplained
        ident = tuple(sorted(item.keys))
        if item.feed != row.file:
            row.elsewhere += 1
        elif ident in owners:
            row.twice += 1
        else:
            owners.add(ident)
        dated = story.published is not None
        row.ours += text_checks(story.title, story.text, story.url, False, dated)
    row.stored = len(owners)


CHECKS = ("mojibake", "raw entities", "relative links", "missing dates")


def report(rows: list[Row], details: bool) -> str:
    out = []
    kinds = sorted({r.kind for r in rows})
    out.append(
        "| kind | files | refused | entries (feedparser) | stored | no title or text "
        "| same item twice | same item in another feed | unexplained |"
    )
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in [*kinds, "all"]:
        rs = [r for r in rows if kind in ("all", r.kind)]
        label = f"**{kind}**" if kind == "all" else kind
        sums = [
            sum(bool(r.error) for r in rs),
            *(sum(getattr(r, a) for r in rs) for a in ("entries", "stored", "empty", "twice")),
            *(sum(getattr(r, a) for r in rs) for a in ("elsewhere", "unexplained")),
        ]
        out.append(f"| {label} | {len(rs)} | " + " | ".join(f"{n:,}" for n in sums) + " |")
    out.append("")
    out.append("| text check (items affected) | plain feedparser | watchbot |")
    out.append("| --- | ---: | ---: |")
    for check in CHECKS:
        plain = sum(r.plain[check] for r in rows)
        ours = sum(r.ours[check] for r in rows)
        out.append(f"| {check} | {plain} | {ours} |")
    refused = [r for r in rows if r.error]
    out.append("")
    out.append(f"Refused ({len(refused)}), with the entries plain feedparser found in each:")
    out.append("")
    for r in refused:
        out.append(f"- `{r.file}` ({r.entries} entries): {r.error}")
    if details:
        out.append("")
        for r in rows:
            if r.unexplained or r.ours:
                out.append(f"- `{r.file}`: unexplained {r.unexplained}; {dict(r.ours)}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--details", action="store_true", help="list every file with a finding")
    args = parser.parse_args()
    if not (args.corpus / "MANIFEST.tsv").exists():
        sys.exit(f"no corpus at {args.corpus} (MANIFEST.tsv missing)")
    print(report(run(args.corpus), args.details))


if __name__ == "__main__":
    main()
