"""What `watchbot init DIR` writes: the example config, the shipped watchlist and the demo
feeds, read from the package (`watchbot/data/`), so an install outside a checkout has them.

The repository's own files are the single source: `data/` holds symlinks to `config/`,
`watchlists/` and `examples/feeds/`, which setuptools follows when it builds a wheel. The config
is written with its paths rewritten for the one-folder layout of DIR:

    DIR/watchbot.yaml   DIR/watchlists/*.yaml   DIR/feeds/*   (DIR/var/ on the first run)
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

# the checkout's config lives in config/, beside watchlists/, var/ and examples/
_PATHS = (
    ("../var/watchbot.db", "var/watchbot.db"),
    ("../watchlists", "watchlists"),
    ("../examples/feeds/", "feeds/"),
)


def _data() -> Traversable:
    return files("watchbot") / "data"


def starter_config() -> str:
    """The example config, its paths made relative to the folder it is written into."""
    text = (_data() / "watchbot.yaml").read_text(encoding="utf-8")
    for old, new in _PATHS:
        if old not in text:  # the example config changed shape: say so rather than write junk
            raise RuntimeError(f"the example config no longer mentions {old!r}; update starter.py")
        text = text.replace(old, new)
    return text


def starter_files() -> dict[str, bytes]:
    """Relative path → content of every file `init` writes."""
    out = {"watchbot.yaml": starter_config().encode("utf-8")}
    for folder in ("watchlists", "feeds"):
        for item in sorted((_data() / folder).iterdir(), key=lambda t: t.name):
            if item.is_file() and not item.name.startswith("."):
                out[f"{folder}/{item.name}"] = item.read_bytes()
    return out
