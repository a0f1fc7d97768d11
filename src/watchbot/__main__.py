"""`python -m watchbot` is the `watchbot` command."""

from watchbot.cli import main

main()
