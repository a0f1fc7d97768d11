"""`watchbot init` and the package data behind it: from the checkout, and from a wheel built and
installed offline (`pip wheel --no-build-isolation`, installed with `--target` into a fresh
venv's path, the dependencies taken from this venv's site-packages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from test_cli import watchbot
from watchbot.starter import starter_config, starter_files

REPO = Path(__file__).resolve().parent.parent


def test_the_starter_files_are_the_repository_files() -> None:
    files = starter_files()
    shipped = (REPO / "watchlists" / "mexico-security.yaml").read_bytes()
    assert files["watchlists/mexico-security.yaml"] == shipped
    assert files["feeds/wire-en.xml"] == (REPO / "examples" / "feeds" / "wire-en.xml").read_bytes()
    config = starter_config()
    assert "database: var/watchbot.db" in config and "watchlists: watchlists " in config
    assert "url: feeds/wire-en.xml" in config and "../" not in config


def test_init_writes_a_config_that_checks_and_polls(tmp_path: Path) -> None:
    target = tmp_path / "bot"
    made = watchbot("init", str(target))
    assert made.returncode == 0, made.stderr
    assert "next: watchbot check --config" in made.stdout
    config = str(target / "watchbot.yaml")
    checked = watchbot("check", "--config", config)
    assert checked.returncode == 0 and checked.stdout.rstrip().endswith("ok"), checked.stderr
    polled = watchbot("poll", "--config", config)
    assert polled.returncode == 0 and "polled 3 feed(s), 0 failed" in polled.stderr
    assert (target / "var" / "watchbot.db").is_file()

    again = watchbot("init", str(target))
    assert again.returncode == 1 and "exists" in again.stderr and "--force" in again.stderr
    (target / "watchbot.yaml").write_text("edited", encoding="utf-8")
    forced = watchbot("init", "--force", str(target))
    assert forced.returncode == 0 and "edited" not in (target / "watchbot.yaml").read_text()


def copy_project(into: Path) -> Path:
    """The files a wheel is built from, copied (symlinks kept) so the build leaves the
    checkout untouched."""
    into.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, into / name)
    for folder in ("config", "watchlists", "examples"):
        shutil.copytree(REPO / folder, into / folder, symlinks=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src", into / "src", symlinks=True, ignore=ignore)
    return into


def test_a_wheel_carries_the_data_and_init_works_from_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(project),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp_path / "dist").glob("watchbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "watchbot/data/watchbot.yaml",
        "watchbot/data/watchlists/mexico-security.yaml",
        "watchbot/data/feeds/wire-en.xml",
        "watchbot/samestory/vocabulary.json",
    ):
        assert data in names, data

    site = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    python = tmp_path / "venv" / "bin" / "python"
    # the wheel's watchbot first; its dependencies from this venv (.pth files there are not
    # read from PYTHONPATH, so the checkout's editable watchbot stays out of sight)
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{deps}"}
    env = {k: v for k, v in env.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    target = tmp_path / "elsewhere"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "watchbot", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = subprocess.run(
        [str(python), "-c", "import watchbot; print(watchbot.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site)), where.stdout
    made = run("init", str(target))
    assert made.returncode == 0, made.stderr
    checked = run("check", "--config", str(target / "watchbot.yaml"))
    assert checked.returncode == 0, checked.stderr
    assert "mexico-security" in checked.stdout
