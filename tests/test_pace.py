"""notify/pace.py: the per-channel token bucket and backoff, pure, time passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchbot.notify.pace import BACKOFF_MAX, TokenBucket, backoff

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_quiet_channel_takes_a_burst_then_one_a_second() -> None:
    bucket = TokenBucket(rate=1.0, burst=4, tokens=4)
    assert [bucket.take(T0) for _ in range(5)] == [True, True, True, True, False]
    assert bucket.ready_at(T0) == T0 + timedelta(seconds=1)
    assert not bucket.take(T0 + timedelta(milliseconds=500))
    assert bucket.take(T0 + timedelta(seconds=1))
    later = T0 + timedelta(hours=1)  # refills up to the burst, no more
    assert [bucket.take(later) for _ in range(5)] == [True, True, True, True, False]


def test_a_clock_going_backwards_does_not_mint_tokens() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, tokens=1)
    assert bucket.take(T0)
    assert not bucket.take(T0 - timedelta(seconds=30))
    assert bucket.take(T0 + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (1000, 300)]
)
def test_backoff_doubles_up_to_five_minutes(failures: int, seconds: int) -> None:
    assert backoff(failures) == min(BACKOFF_MAX, timedelta(seconds=seconds))
