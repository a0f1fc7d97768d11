"""watchbot: watches news feeds and posts one Slack alert per story that matches a watchlist."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/watchbot-news/watchbot"
USER_AGENT = f"watchbot/{__version__} (+{PROJECT_URL})"
