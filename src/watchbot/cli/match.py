"""`watchbot match`: which entries a headline would trigger, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from watchbot.cli.common import config_option, json_lines, load, logging_options
from watchbot.match import Matcher
from watchbot.models import MatchResult, WatchlistVerdict


@click.command()
@config_option
@logging_options
@click.argument("text", nargs=-1)
@click.option(
    "--json", "as_json", is_flag=True, help="Read JSON lines from stdin, write JSON lines."
)
def match(config_file: Path | None, text: tuple[str, ...], as_json: bool) -> None:
    """Show which watchlist entries TEXT would trigger, and why.

    TEXT is matched as a headline. With --json, each stdin line is {"id", "title", "summary"}
    and each output line {"id", "alert", "matches": [...]}.
    """
    _, watchlists = load(config_file)
    matcher = Matcher.compile(watchlists)
    if as_json:
        _match_json(matcher)
        return
    if not text:
        raise click.UsageError("give a headline to match, or --json to read JSON lines")
    headline = " ".join(text)
    result = matcher.match(headline, "", explain=True)
    click.echo(explain(headline, result, color=sys.stdout.isatty()))


def _match_json(matcher: Matcher) -> None:
    for _, item in json_lines(sys.stdin):
        result = matcher.match(str(item.get("title") or ""), str(item.get("summary") or ""))
        matches = [
            {
                "watchlist": hit.watchlist,
                "entry": hit.entry,
                "term": hit.term,
                "matched": hit.matched,
                "score": hit.score,
            }
            for verdict in result.verdicts
            for hit in verdict.hits
        ]
        out = {"id": item.get("id"), "alert": result.alert, "matches": matches}
        click.echo(json.dumps(out, ensure_ascii=False))


def highlight(text: str, spans: list[tuple[int, int]], *, color: bool) -> str:
    """`text` with the matched spans marked: bold on a terminal, [brackets] elsewhere."""
    out, pos = [], 0
    for start, end in sorted(set(spans)):
        if start < pos:
            continue
        out.append(text[pos:start])
        word = text[start:end]
        out.append(click.style(word, bold=True, fg="yellow") if color else f"[{word}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def decided_by(verdict: WatchlistVerdict) -> str:
    """The rule that decided a watchlist's verdict, in one line."""
    alerting = [d for d in verdict.decisions if d.alerts]
    if alerting:
        first, *others = alerting
        rule = "it matched" if first.rule == "matched" else first.rule
        also = f" (also {', '.join(d.entry for d in others)})" if others else ""
        return f"alert, decided by {first.entry}: {rule}{also}"
    failed = [d.entry for d in verdict.decisions if not d.rule.startswith("context only")]
    if not failed:
        return "no alert: only context entries (alert: false) matched"
    whose = "its" if len(failed) == 1 else "their"
    return f"no alert: {', '.join(failed)} matched but {whose} rules do not hold (above)"


def explain(headline: str, result: MatchResult, *, color: bool = False) -> str:
    """The human explanation printed by `watchbot match`."""
    lines = []
    spans = [(h.start, h.end) for v in result.verdicts for h in v.hits if h.field == "title"]
    lines.append(highlight(headline, spans, color=color))
    lines.append("")
    for verdict in result.verdicts:
        state = "ALERT" if verdict.alert else "no alert"
        channel = f" → {verdict.channel}" if verdict.channel and verdict.alert else ""
        lines.append(f"{verdict.watchlist}: {state}{channel}")
        for hit in verdict.hits:
            how = f"fuzzy {hit.score}" if hit.form == "fuzzy" else hit.form
            lines.append(
                f"  ✓ {hit.entry} ({hit.label}): term {hit.term!r} matched {hit.matched!r} [{how}]"
            )
        for reason in verdict.reasons:
            lines.append(f"  · {reason}")
        lines.append(f"  ⇒ {decided_by(verdict)}")
    if result.near_misses:
        lines.append("near misses (fuzzy candidates that did not count):")
        for miss in result.near_misses:
            why = miss.why or f"{miss.score} < {miss.threshold}"
            lines.append(
                f"  ~ {miss.watchlist}/{miss.entry}: term {miss.term!r} vs {miss.matched!r}: {why}"
            )
    if not result.verdicts:
        lines.append("no entry matched.")
    lines.append("")
    lines.append("would alert" if result.alert else "would not alert")
    return "\n".join(lines)
