"""The README's deployment recipes, as printed: the crontab line runs through /bin/sh with a
cron-like environment (no venv activated, only the environment file), and the systemd unit
parses (and passes `systemd-analyze verify` where that exists)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from servers import SlackServer

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
CRON_MARKER = "<!-- crontab line: tests/test_deploy.py runs it as printed -->"
UNIT_MARKER = "<!-- systemd unit: tests/test_deploy.py checks it -->"
STEPS_MARKER = "<!-- setup steps: tests/test_deploy.py checks their paths -->"


def block_after(marker: str) -> str:
    """The fenced code block that follows `marker` in the README."""
    assert marker in README, f"README.md lost its marker {marker!r}"
    rest = README.split(marker, 1)[1]
    match = re.search(r"```[a-z]*\n(.*?)```", rest, re.S)
    assert match, f"no code block after {marker!r}"
    return match.group(1)


def substitute(text: str, root: Path) -> str:
    """The README's absolute paths, moved under `root`."""
    for path in ("/opt/watchbot", "/srv/watchbot", "/etc/watchbot.env", "/var/log/watchbot"):
        text = text.replace(path, str(root) + path)
    return text


def test_the_readme_crontab_line_polls_and_logs(tmp_path: Path, slack_server: SlackServer) -> None:
    [line] = [ln for ln in block_after(CRON_MARKER).splitlines() if ln.strip()]
    fields = line.split(None, 5)
    assert len(fields) == 6 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), line
    command = substitute(fields[5], tmp_path)
    assert "%" not in command  # cron would turn it into a newline

    # the machine as the README's steps leave it: the code installed in /opt/watchbot, a
    # starter config written by `watchbot init` into /srv/watchbot, no var/ yet
    (tmp_path / "opt/watchbot/bin").mkdir(parents=True)
    (tmp_path / "opt/watchbot/bin/watchbot").symlink_to(Path(sys.executable).parent / "watchbot")
    (tmp_path / "var/log/watchbot").mkdir(parents=True)
    srv = tmp_path / "srv/watchbot"
    init = subprocess.run(
        [sys.executable, "-m", "watchbot", "init", str(srv)], capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    config = srv / "watchbot.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "api_url: null", f"api_url: {slack_server.api_url}"
        ),
        encoding="utf-8",
    )
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/watchbot.env").write_text("SLACK_BOT_TOKEN=xoxb-test\n", encoding="utf-8")
    assert not (srv / "var").exists()

    cron_env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(srv),
        "SHELL": "/bin/sh",
        "LOGNAME": "watchbot",
    }
    result = subprocess.run(
        ["/bin/sh", "-c", command], env=cron_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    log = (tmp_path / "var/log/watchbot/poll.log").read_text(encoding="utf-8")
    assert "polled 3 feed(s), 0 failed" in log, log
    assert (srv / "var" / "watchbot.db").is_file()  # var/ made by watchbot itself
    assert slack_server.posts("#mexico-desk")  # the token came from the environment file


UNIT_LINE = re.compile(r"^(\[[A-Za-z]+\]|[#;].*|[A-Z][A-Za-z]+=\S.*)$")


def test_the_readme_systemd_unit_parses(tmp_path: Path) -> None:
    unit = block_after(UNIT_MARKER)
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in unit.splitlines():
        if not line.strip():
            continue
        assert UNIT_LINE.match(line), f"not a unit line: {line!r}"
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
        elif not line.startswith(("#", ";")):
            key, value = line.split("=", 1)
            sections[current][key] = value
    service = sections["Service"]
    # systemd takes everything after = as the value: a trailing comment would be part of the path
    assert re.fullmatch(r"-?/\S+", service["EnvironmentFile"]), service["EnvironmentFile"]
    assert "#" not in "".join(service.values())
    assert service["ExecStart"].startswith("/opt/watchbot/bin/watchbot run ")
    assert "--config /srv/watchbot/watchbot.yaml" in service["ExecStart"]
    assert service["RestartPreventExitStatus"] == "2"
    assert int(service["TimeoutStopSec"]) >= 10  # watchbot exits within 10 s of SIGTERM
    assert set(sections) == {"Unit", "Service", "Install"}

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the unit was parsed by hand above")
    (tmp_path / "opt/watchbot/bin").mkdir(parents=True)
    (tmp_path / "opt/watchbot/bin/watchbot").symlink_to(Path(sys.executable).parent / "watchbot")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/watchbot.env").write_text("SLACK_BOT_TOKEN=xoxb-test\n", encoding="utf-8")
    path = tmp_path / "watchbot.service"
    path.write_text(
        substitute(unit, tmp_path)
        .replace("User=watchbot", "User=root")
        .replace("Group=watchbot", "Group=root"),
        encoding="utf-8",
    )
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60
    )
    complaints = [
        ln
        for ln in (result.stdout + result.stderr).splitlines()
        if "watchbot.service" in ln and "network-online" not in ln
    ]
    assert not complaints, result.stdout + result.stderr


def test_the_setup_steps_name_the_paths_the_recipes_use() -> None:
    steps = block_after(STEPS_MARKER)
    for needed in (
        "useradd",
        "/opt/watchbot",
        "/opt/watchbot/bin/pip install",
        "/opt/watchbot/bin/watchbot init /srv/watchbot",
        "/var/log/watchbot",
        "/etc/watchbot.env",
        "chmod 600",
    ):
        assert needed in steps, needed
