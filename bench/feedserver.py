"""Generated RSS feeds served over HTTP from many loopback addresses, for bench/bench_fetch.py.

    python bench/feedserver.py --feeds 1000 [--hosts 50] [--seed 2024] [--deadline 3600]

Standard library only, so any Python (the project's venv, reader's venv) can run it. One asyncio
process serves every feed: each address 127.0.0.2, 127.0.0.3, … listens on its own free port,
and every request is answered after a delay drawn from 50–250 ms (seeded per feed and per
request number within a round that the controller sets, so two clients polling in the same
round see the same delays). Most feeds send
ETag and Last-Modified and answer a matching conditional GET with 304; about a fifth send no
validators and always the whole body. Bodies are gzipped when the client accepts it.

Feed `i` (0-based) is served at `http://HOST:PORT/feeds/i.xml` on host number `i * hosts //
feeds` (blocks of neighbours share a host, as a site's section feeds do). Items are RSS 2.0 with
news-like English or Spanish headlines and summaries; about 4% carry words of the shipped
watchlist (cartels, Sheinbaum, fentanyl…) in a context that alerts.

Control is JSON lines: the server prints `{"ready": …, "ports": {host: port}}` on stdout, then
reads one command a line on stdin and answers each with one line:

- `{"cmd": "change", "fraction": 0.1, "items": 3}`: that fraction of the feeds gain new items
  (the oldest drop out, as a feed's window does) and get new validators;
- `{"cmd": "stats", "round": 1}`: counters since the last `stats` (requests per status, bytes,
  the sum of the delays, the server's own CPU time, its lateness beyond the intended delay, peak
  concurrency) and reset them; with `round`, the delays start over from that round's draw, so
  two clients that each start with the same round meet the same delays;
- `{"cmd": "stop"}`.

The server stops by itself at `--deadline` seconds and when stdin closes (its parent is gone).
It binds loopback addresses only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gzip
import json
import random
import string
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from typing import Any

ITEMS_PER_FEED = 50
MIN_DELAY = 0.050
MAX_DELAY = 0.250
NO_VALIDATORS = 0.2  # share of feeds that send neither ETag nor Last-Modified
SPANISH = 0.3  # share of feeds in Spanish
MATCHING = 0.04  # share of ordinary items that carry a watchlist story
MATCHING_NEW = 1 / 3  # share of the items added by `change` that do
IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may sit idle


def _w(text: str) -> list[str]:
    return [t.strip() for t in text.split("|") if t.strip()]


# Background news, chosen to match nothing in watchlists/mexico-security.yaml.
EN = {
    "person": _w(
        "Mayor Helen Carter|Governor Paul Whitfield|Dr. Anika Rao|coach Marcus Bell|"
        "Senator Laura Finch|Professor Ian Moss|chief executive Dana Holt|Judge Ruth Okafor|"
        "Commissioner Tom Reyes|Councillor Priya Shah|Minister Olaf Berg|Chancellor Ina Vogt"
    ),
    "place": _w(
        "Leeds|Lyon|Ottawa|Melbourne|Osaka|Nairobi|Oslo|Dublin|Porto|Bristol|Toronto|Auckland|"
        "Hamburg|Cape Town|Glasgow|Seville|Turin|Kraków"
    ),
    "org": _w(
        "the city council|the central bank|the health ministry|the transport authority|"
        "the football league|the university|the weather service|the energy regulator|"
        "the school board|the national museum|the port authority|the tech company"
    ),
    "thing": _w(
        "rail line|hospital wing|bus network|housing plan|school budget|wind farm|"
        "water main|tram extension|library|cycle lane|data centre|stadium|bridge|airport terminal"
    ),
    "verb": _w(
        "approves|delays|unveils|rejects|expands|reviews|opens|scraps|backs|questions|funds"
    ),
    "topic": _w(
        "interest rates|inflation|a heatwave|the cup final|a software outage|a nurses' strike|"
        "house prices|a new vaccine|the marathon|a museum reopening|electric buses|rainfall"
    ),
    "section": _w("World|Business|Sport|Science|Culture|Local|Technology|Health|Opinion"),
}
EN_TITLES = _w(
    "{person} {verb} {thing} plan for {place}|"
    "{org} {verb} {n} million {thing} upgrade|"
    "{place} braces for {topic} as {org} warns of delays|"
    "{n} things to know about {topic} in {place}|"
    "Why {topic} matters for {place}, according to {person}|"
    "{person} says {topic} will shape the next {n} months|"
    "{place} {thing} closed for {n} days after inspection|"
    "Live: {org} meets over {topic}"
)
EN_SENTENCES = _w(
    "{person} told reporters on {day} that {org} would decide on the {thing} within {n} weeks.|"
    "The {thing} in {place} has been debated for years, and costs have risen by {n} percent.|"
    "Residents said {topic} had already changed how they travel, shop and plan their weeks.|"
    "Figures published by {org} show {n} complaints since the spring, most of them about delays.|"
    "Critics argue the plan does too little, too late, while supporters call it a fair compromise.|"
    "A spokesperson for {org} declined to comment beyond a short statement issued on {day}.|"
    "Analysts expect {topic} to dominate the agenda until the end of the year.|"
    "The decision follows a consultation in which {n} people and businesses took part."
)
ES = {
    "person": _w(
        "la alcaldesa Elena Ruiz|el gobernador Pablo Serra|la doctora Inés Lago|"
        "el entrenador Raúl Gil|la senadora Marta Vidal|el profesor Iñaki Soto|"
        "la consejera Nuria Pons|el ministro Jordi Mas|la jueza Carmen Rey"
    ),
    "place": _w(
        "Valencia|Bilbao|Córdoba|Rosario|Montevideo|Quito|Cusco|Zaragoza|Málaga|Mendoza|"
        "Valparaíso|Salamanca|Medellín|Asunción"
    ),
    "org": _w(
        "el ayuntamiento|el banco central|el ministerio de Salud|la autoridad de transporte|"
        "la liga de fútbol|la universidad|el servicio meteorológico|la compañía eléctrica|"
        "el consejo escolar|el museo nacional"
    ),
    "thing": _w(
        "línea de tren|hospital|red de autobuses|plan de vivienda|presupuesto escolar|"
        "parque eólico|biblioteca|carril bici|estadio|puente|aeropuerto"
    ),
    "verb": _w("aprueba|retrasa|presenta|rechaza|amplía|revisa|inaugura|cancela|financia"),
    "topic": _w(
        "la inflación|una ola de calor|la final de copa|un apagón informático|"
        "la huelga de enfermeras|el precio de la vivienda|una nueva vacuna|el maratón|las lluvias"
    ),
    "section": _w("Internacional|Economía|Deportes|Ciencia|Cultura|Local|Tecnología|Salud"),
}
ES_TITLES = _w(
    "{person} {verb} el {thing} de {place}|"
    "{org} {verb} una inversión de {n} millones|"
    "{place} se prepara para {topic} mientras {org} pide calma|"
    "{n} claves para entender {topic} en {place}|"
    "{person} asegura que {topic} marcará los próximos {n} meses|"
    "Cierran el {thing} de {place} durante {n} días tras una inspección"
)
ES_SENTENCES = _w(
    "{person} dijo el {day} que {org} tomará una decisión en {n} semanas.|"
    "El proyecto lleva años en discusión y su coste ha subido un {n} por ciento.|"
    "Los vecinos aseguran que {topic} ya ha cambiado su forma de moverse y de trabajar.|"
    "Según {org}, se han registrado {n} quejas desde la primavera, casi todas por retrasos.|"
    "Los críticos creen que el plan llega tarde; sus defensores hablan de un acuerdo razonable.|"
    "Un portavoz de {org} evitó hacer más comentarios tras un breve comunicado.|"
    "Los analistas prevén que {topic} domine la agenda hasta final de año."
)
# Stories the desk's watchlist alerts on (checked with `watchbot match --json`).
EN_MATCH = _w(
    "Sheinbaum rejects US strikes on cartels after {n} killed in {mx}|"
    "{n} kilos of fentanyl seized at {mx} port of entry, officials say|"
    "Mexico extradites {n} alleged Sinaloa cartel members to the United States|"
    "García Harfuch announces arrest of {n} suspects linked to CJNG in {mx}|"
    "USMCA review: negotiators to meet in {mx} in {n} days|"
    "Trump threatens {n}% tariffs on Mexico over fentanyl and migrants|"
    "Cartel violence forces {n} families from their homes in {mx}"
)
EN_MATCH_TEXT = _w(
    "Mexican authorities said the operation in {mx} involved {n} soldiers and federal agents.|"
    "The Sinaloa cartel and CJNG have fought over the region for years, officials said.|"
    "President Claudia Sheinbaum said Mexico would cooperate with the United States on security."
)
ES_MATCH = _w(
    "Sheinbaum rechaza ataques de EE.UU. contra cárteles tras {n} muertos en {mx}|"
    "Aseguran {n} kilos de fentanilo en la garita de {mx}|"
    "México extradita a {n} presuntos integrantes del Cártel de Sinaloa a Estados Unidos|"
    "García Harfuch anuncia la detención de {n} personas ligadas al CJNG en {mx}|"
    "Revisión del T-MEC: los negociadores se reunirán en {mx} en {n} días"
)
ES_MATCH_TEXT = _w(
    "Las autoridades mexicanas informaron que en el operativo en {mx} participaron {n} elementos.|"
    "El Cártel de Sinaloa y el CJNG se disputan la región desde hace años.|"
    "La presidenta Claudia Sheinbaum dijo que México cooperará con Estados Unidos en seguridad."
)
MX_PLACES = _w(
    "Culiacán|Tijuana|Reynosa|Nuevo Laredo|Ciudad Juárez|Nogales|Matamoros|Monterrey|Zapopan|"
    "Apatzingán|Mexicali|Chihuahua|Acapulco|Guanajuato|Zacatecas|Ensenada"
)
DAYS = _w("Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
DIAS = _w("lunes|martes|miércoles|jueves|viernes|sábado|domingo")


def _fill(template: str, rng: random.Random, vocab: dict[str, list[str]], days: list[str]) -> str:
    slots = {}
    for key in _slots(template):
        if key == "n":
            slots[key] = str(rng.randint(2, 4000))
        else:
            slots[key] = rng.choice(
                MX_PLACES if key == "mx" else days if key == "day" else vocab[key]
            )
    text = template.format(**slots)
    return text[0].upper() + text[1:]


@functools.cache
def _slots(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass
class Item:
    """One rendered `<item>`; `matching` says whether it carries a watchlist story."""

    xml: bytes
    matching: bool


def make_item(
    rng: random.Random, feed: int, number: int, spanish: bool, published: datetime, matching: bool
) -> Item:
    vocab, days = (ES, DIAS) if spanish else (EN, DAYS)
    titles, sentences = (ES_TITLES, ES_SENTENCES) if spanish else (EN_TITLES, EN_SENTENCES)
    if matching:
        title = _fill(rng.choice(ES_MATCH if spanish else EN_MATCH), rng, vocab, days)
        lead = [_fill(rng.choice(ES_MATCH_TEXT if spanish else EN_MATCH_TEXT), rng, vocab, days)]
    else:
        title = _fill(rng.choice(titles), rng, vocab, days)
        lead = []
    body = lead + [_fill(rng.choice(sentences), rng, vocab, days) for _ in range(rng.randint(4, 6))]
    half = len(body) // 2
    html = f"<p>{' '.join(body[:half])}</p><p>{' '.join(body[half:])}</p>"
    slug = "-".join(title.lower().split()[:6]).strip(",.:;")
    link = f"http://127.0.0.1/story/{feed}/{number}/{escape(slug)}"  # never fetched
    guid = (
        f'<guid isPermaLink="true">{link}</guid>'
        if number % 2
        else f'<guid isPermaLink="false">bench-{feed}-{number}</guid>'
    )
    author = rng.choice(vocab["person"]).split()[-1]
    sections = rng.sample(vocab["section"], 2)
    xml = (
        f"<item>\n<title>{escape(title)}</title>\n<link>{link}</link>\n{guid}\n"
        f"<pubDate>{format_datetime(published)}</pubDate>\n"
        f"<dc:creator>{escape(author)}</dc:creator>\n"
        f"<category>{sections[0]}</category><category>{sections[1]}</category>\n"
        f"<description>{escape(html)}</description>\n</item>\n"
    )
    return Item(xml.encode(), matching)


@dataclass
class Feed:
    index: int
    host: str
    spanish: bool
    validators: bool
    rng: random.Random
    items: list[Item] = field(default_factory=list)  # newest first
    next_number: int = 0
    version: int = 0
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    requests: int = 0
    body: bytes = b""
    gz: bytes = b""

    def add(self, published: datetime, matching: bool) -> Item:
        item = make_item(self.rng, self.index, self.next_number, self.spanish, published, matching)
        self.next_number += 1
        self.items.insert(0, item)
        del self.items[ITEMS_PER_FEED:]
        return item

    def render(self, now: datetime) -> None:
        self.version += 1
        self.modified = now.replace(microsecond=0)
        lang = "es" if self.spanish else "en"
        head = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
            f"<title>Bench feed {self.index}</title>\n"
            f"<link>http://127.0.0.1/section/{self.index}/</link>\n"
            f"<description>Generated feed {self.index} for watchbot's fetch benchmark"
            f"</description>\n<language>{lang}</language>\n"
            f"<lastBuildDate>{format_datetime(self.modified)}</lastBuildDate>\n"
        ).encode()
        self.body = head + b"".join(i.xml for i in self.items) + b"</channel>\n</rss>\n"
        self.gz = gzip.compress(self.body, compresslevel=6, mtime=0)

    @property
    def etag(self) -> str:
        return f'"f{self.index}-v{self.version}"'

    @property
    def last_modified(self) -> str:
        return format_datetime(self.modified, usegmt=True)

    def not_modified(self, headers: dict[str, str]) -> bool:
        if not self.validators:
            return False
        if "if-none-match" in headers:
            return self.etag in [t.strip() for t in headers["if-none-match"].split(",")]
        since = headers.get("if-modified-since")
        if since:
            try:
                return parsedate_to_datetime(since) >= self.modified
            except (TypeError, ValueError):
                return False
        return False


def make_feeds(count: int, hosts: list[str], seed: int, now: datetime) -> list[Feed]:
    feeds = []
    for i in range(count):
        rng = random.Random(f"{seed}:feed:{i}")
        feed = Feed(
            index=i,
            host=hosts[i * len(hosts) // count],
            spanish=rng.random() < SPANISH,
            validators=rng.random() >= NO_VALIDATORS,
            rng=rng,
        )
        # 50 items over the last ~25 hours: all younger than watchbot's default max_age (48h)
        ages = sorted(rng.uniform(0.1, 25.0) for _ in range(ITEMS_PER_FEED))
        for hours in reversed(ages):
            feed.add(now - timedelta(hours=hours), rng.random() < MATCHING)
        feed.render(now)
        feeds.append(feed)
    return feeds


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    cpu: float = field(default_factory=time.process_time)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes_sent: int = 0
    delays: float = 0.0
    late: list[float] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    max_per_host: int = 0

    def report(self, open_per_host: dict[str, int]) -> dict[str, Any]:
        late = sorted(self.late)

        def pct(p: float) -> float:
            return round(1000 * late[min(len(late) - 1, int(p * len(late)))], 2) if late else 0.0

        return {
            "seconds": round(time.monotonic() - self.started, 3),
            "cpu_s": round(time.process_time() - self.cpu, 3),
            "requests": sum(self.statuses.values()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "bytes": self.bytes_sent,
            "delay_s": round(self.delays, 2),
            "late_ms_p50": pct(0.5),
            "late_ms_p99": pct(0.99),
            "late_ms_max": round(1000 * late[-1], 2) if late else 0.0,
            "max_in_flight": self.max_in_flight,
            "max_connections_per_host": self.max_per_host,
            "open_connections": sum(open_per_host.values()),
        }


class FeedServer:
    def __init__(self, feeds: list[Feed], seed: int, gzip_ok: bool) -> None:
        self.feeds = feeds
        self.seed = seed
        self.gzip_ok = gzip_ok
        self.stats = Stats()
        self.open_per_host: dict[str, int] = {}
        self.changes = 0
        self.round = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        self.open_per_host[host] = self.open_per_host.get(host, 0) + 1
        self.stats.max_per_host = max(self.stats.max_per_host, self.open_per_host[host])
        try:
            while await self._one_request(host, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except TimeoutError:
            pass  # idle keep-alive connection
        finally:
            self.open_per_host[host] -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(
        self, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
        start = time.monotonic()
        lines = head.decode("latin-1").split("\r\n")
        method, path, version = [*lines[0].split(" "), "", "", ""][:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        feed = self._feed(host, path)
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
        try:
            if feed is None:
                delay = 0.0
                status, body, extra = 404, b"not found\n", {"Content-Type": "text/plain"}
            else:
                feed.requests += 1
                rng = random.Random(f"{self.seed}:delay:{self.round}:{feed.index}:{feed.requests}")
                delay = rng.uniform(MIN_DELAY, MAX_DELAY)
                self.stats.delays += delay
                await asyncio.sleep(delay)
                status, body, extra = self._answer(feed, headers)
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
            extra["Content-Length"] = str(len(body))
            extra["Connection"] = "keep-alive" if keep_alive else "close"
            out = f"HTTP/1.1 {status} {reason}\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in extra.items()
            )
            writer.write(out.encode("latin-1") + b"\r\n" + (b"" if method == "HEAD" else body))
            await writer.drain()
            self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
            self.stats.bytes_sent += len(body)
            self.stats.late.append(time.monotonic() - start - delay)
        finally:
            self.stats.in_flight -= 1
        return keep_alive

    def _feed(self, host: str, path: str) -> Feed | None:
        name = path.split("?", 1)[0]
        if not (name.startswith("/feeds/") and name.endswith(".xml")):
            return None
        try:
            index = int(name[len("/feeds/") : -len(".xml")])
        except ValueError:
            return None
        if 0 <= index < len(self.feeds) and self.feeds[index].host == host:
            return self.feeds[index]
        return None

    def _answer(self, feed: Feed, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        extra = {"Content-Type": "application/rss+xml; charset=utf-8"}
        if feed.validators:
            extra["ETag"] = feed.etag
            extra["Last-Modified"] = feed.last_modified
        if feed.not_modified(headers):
            return 304, b"", extra
        body = feed.body
        if self.gzip_ok and "gzip" in headers.get("accept-encoding", "").lower():
            body = feed.gz
            extra["Content-Encoding"] = "gzip"
        extra["Vary"] = "Accept-Encoding"
        return 200, body, extra

    def change(self, fraction: float, items: int) -> dict[str, Any]:
        """Give `fraction` of the feeds `items` new items each, published now."""
        self.changes += 1
        rng = random.Random(f"{self.seed}:change:{self.changes}")
        chosen = sorted(rng.sample(range(len(self.feeds)), round(fraction * len(self.feeds))))
        now = datetime.now(UTC)
        matching = 0
        for index in chosen:
            feed = self.feeds[index]
            for k in range(items):
                match = feed.rng.random() < MATCHING_NEW
                matching += match
                feed.add(now - timedelta(seconds=items - k), match)
            # a new Last-Modified must differ from the old one at one-second resolution
            feed.render(max(now, feed.modified + timedelta(seconds=1)))
        return {"changed": len(chosen), "new_items": len(chosen) * items, "matching": matching}

    def command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        if cmd.get("cmd") == "change":
            return self.change(float(cmd.get("fraction", 0.1)), int(cmd.get("items", 3)))
        if cmd.get("cmd") == "stats":
            report = self.stats.report(self.open_per_host)
            self.stats = Stats()
            if "round" in cmd:
                self.round = int(cmd["round"])
                for feed in self.feeds:
                    feed.requests = 0
            return report
        return {"error": f"unknown command {cmd!r}"}


def sizes(feeds: list[Feed]) -> dict[str, float]:
    return {
        "feed_kb_mean": round(sum(len(f.body) for f in feeds) / len(feeds) / 1000, 1),
        "feed_gzip_kb_mean": round(sum(len(f.gz) for f in feeds) / len(feeds) / 1000, 1),
        "matching_items": sum(i.matching for f in feeds for i in f.items),
        "items": sum(len(f.items) for f in feeds),
        "without_validators": sum(not f.validators for f in feeds),
        "spanish": sum(f.spanish for f in feeds),
    }


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    hosts = [f"127.0.0.{2 + i}" for i in range(args.hosts)]
    feeds = make_feeds(args.feeds, hosts, args.seed, datetime.now(UTC))
    server = FeedServer(feeds, args.seed, gzip_ok=not args.no_gzip)
    servers = []
    ports = {}
    for host in hosts:
        srv = await asyncio.start_server(server.handle, host, 0, backlog=args.backlog)
        servers.append(srv)
        ports[host] = srv.sockets[0].getsockname()[1]
    done = asyncio.Event()
    loop.call_later(args.deadline, done.set)

    def control() -> None:  # a thread: blocking reads of stdin, answered on stdout
        out = {"ready": True, "ports": ports, **sizes(feeds)}
        print(json.dumps(out), flush=True)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                cmd = json.loads(line)
            except ValueError:
                print(json.dumps({"error": "not JSON"}), flush=True)
                continue
            if cmd.get("cmd") == "stop":
                break
            answer = asyncio.run_coroutine_threadsafe(_call(server, cmd), loop).result()
            print(json.dumps(answer), flush=True)
        loop.call_soon_threadsafe(done.set)  # stop, or stdin closed: the parent is gone

    threading.Thread(target=control, daemon=True).start()
    await done.wait()
    for srv in servers:
        srv.close()


async def _call(server: FeedServer, cmd: dict[str, Any]) -> dict[str, Any]:
    return server.command(cmd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses from 127.0.0.2")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--deadline", type=float, default=3600, help="stop after this many s")
    parser.add_argument("--backlog", type=int, default=4096)
    parser.add_argument("--no-gzip", action="store_true", help="never gzip bodies")
    args = parser.parse_args()
    if not 1 <= args.hosts <= 250:
        parser.error("--hosts must be 1..250 (127.0.0.2 … 127.0.0.251)")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
