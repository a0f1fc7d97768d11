"""The run lock: one writer at a time for a database."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from watchbot.errors import LockedError, StoreError


class RunLock:
    """An exclusive lock beside the database, held for a whole run: a cron `poll` that starts
    while the daemon or another poll is working exits 75 instead of doubling their alerts. The
    OS releases it when the holder dies, so a crash never leaves it stuck."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if self.path.is_dir():
                what = "is a folder"
            elif isinstance(e, FileExistsError | NotADirectoryError):
                what = f"a file stands where its folder should be ({self.path.parent})"
            else:
                what = (e.strerror or str(e)).lower()
            raise StoreError(
                f"cannot take the run lock {self.path}: {what}; the user that runs watchbot "
                "must be able to create and write it (remove it, or chown it to that user)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockedError(
                f"another watchbot run (pid {holder}) holds {self.path}; this run exits "
                "without polling"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
