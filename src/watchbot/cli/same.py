"""`watchbot same`: whether two reports are the same story, and why."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from watchbot.cli.common import json_lines, logging_options, say
from watchbot.models import Story
from watchbot.samestory.meaning import Evidence, Report, judge
from watchbot.samestory.rules import GUARDS


def _report(title: str, summary: str, method: str) -> Report:
    from watchbot.samestory.signature import signature
    from watchbot.samestory.threads import embed

    story = Story("same", None, None, None, title, summary, None)
    return embed(story) if method == "meaning" else Report(signature(title, summary))


def compare(a: tuple[str, str], b: tuple[str, str], method: str, hours: float) -> Evidence:
    """The evidence on two reports given as (headline, summary)."""
    return judge(_report(*a, method), _report(*b, method), hours)


def _method_line(method: str) -> str:
    from watchbot.samestory.embedding import MODEL, encoder, load_problem

    if method == "rules":
        return "rules alone (--method rules)"
    if encoder() is None:
        return f"rules alone: {load_problem()}"
    return f"meaning ({MODEL}) + rules guards"


def describe(evidence: Evidence, method: str) -> str:
    if evidence.same:
        decision = "SAME STORY: a thread reply of the first report's alert"
    elif evidence.related:
        decision = "RELATED, not the same story: its own alert, with a Follows link to the first"
    else:
        decision = "DIFFERENT STORIES: two alerts"
    guard = GUARDS.get(evidence.guard, evidence.guard) if evidence.guard else "none fired"
    lines = [
        f"decision    {decision}",
        f"score       {evidence.score:.3f} (needs {evidence.bar:.3f})",
        "similarity  "
        + ("n/a (rules alone)" if evidence.cosine is None else f"cosine {evidence.cosine:.3f}"),
        f"guard       {guard}",
        f"rules       {'same' if evidence.rules else 'not the same'} story by the rules alone",
        f"shared      {', '.join(evidence.shared) if evidence.shared else 'no names or figures'}",
        f"method      {_method_line(method)}",
    ]
    return "\n".join(lines)


@click.command()
@click.argument("headline_a", required=False)
@click.argument("headline_b", required=False)
@click.option("--summary-a", default="", help="The first report's summary.")
@click.option("--summary-b", default="", help="The second report's summary.")
@click.option(
    "--hours", type=float, default=0.0, show_default=True, help="Hours between the two reports."
)
@click.option(
    "--method", type=click.Choice(["meaning", "rules"]), default="meaning", show_default=True
)
@click.option(
    "--json", "as_json", is_flag=True, help="Read JSON lines from stdin, write JSON lines."
)
@logging_options
def same(
    headline_a: str | None,
    headline_b: str | None,
    summary_a: str,
    summary_b: str,
    hours: float,
    method: str,
    as_json: bool,
) -> None:
    """Whether two reports are the same story, and why: the decision, the similarity, the guard
    that fired, the names and figures they share.

    With --json, each stdin line is {"id", "a": {"title", "summary"}, "b": {"title", "summary"}}
    and each output line {"id", "same", "score"}.
    """
    if as_json:
        _same_json(method)
        return
    if not headline_a or not headline_b:
        raise click.UsageError('give two headlines: watchbot same "HEADLINE A" "HEADLINE B"')
    evidence = compare((headline_a, summary_a), (headline_b, summary_b), method, hours)
    click.echo(describe(evidence, method))


def _side(item: dict[str, Any], key: str) -> tuple[str, str]:
    side = item.get(key)
    if not isinstance(side, dict) or not side.get("title"):
        raise ValueError(f'"{key}" must be an object with a "title"')
    return str(side["title"]), str(side.get("summary") or "")


def _same_json(method: str) -> None:
    for number, item in json_lines(sys.stdin):
        try:
            a, b = _side(item, "a"), _side(item, "b")
        except ValueError as e:
            say(
                f"stdin line {number}: {e}; write "
                '{"id": …, "a": {"title": …, "summary": …}, "b": {…}}; skipped'
            )
            continue
        evidence = compare(a, b, method, float(item.get("hours") or 0.0))
        out = {"id": item.get("id"), "same": evidence.same, "score": round(evidence.score, 4)}
        click.echo(json.dumps(out, ensure_ascii=False))
