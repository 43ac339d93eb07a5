"""Strict JSON at the edge (mayday/wire.py) and the bounded worker (mayday/work.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from mayday import wire
from mayday.errors import ApiError
from mayday.work import Worker


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"legs": {"duration": NaN}}', "legs.duration: NaN"),
        ('{"a": [1, Infinity]}', r"a\[1\]: Infinity"),
        ('{"a": -Infinity}', "a: -Infinity"),
        ('{"n": 1' + "0" * 5000 + "}", "n: a number is at most 40"),
        ('{"n": 1e999}', "n: 1e999 is out of range"),
        ('{"n": ' + str(2**63) + "}", "n: integers are at most"),
        ('{"t": "a\\ud800b"}', "t: text holds a lone surrogate"),
        ('{"\\udfff": 1}', "a key: text holds a lone surrogate"),
        ("[" * 33 + "]" * 33, "nested deeper than 32"),
        ("[" * 5000 + "]" * 5000, "nested deeper than 32"),
        ("{", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8|not valid JSON"),
    ],
)
def test_what_cannot_be_stored_is_refused_and_says_where(text, where):
    with pytest.raises(wire.WireError, match=where) as info:
        wire.loads(text)
    assert info.value.code == "bad_json"


def test_what_can_be_stored_passes_unchanged():
    text = '{"a": [1, 2.5, -3, true, null, "é ✊ 𝄞"], "b": {"c": ' + str(2**63 - 1) + "}}"
    assert wire.loads(text) == {"a": [1, 2.5, -3, True, None, "é ✊ 𝄞"], "b": {"c": 2**63 - 1}}
    wire.check({"x": [[[[1]]]]})  # no error
    assert wire.loads("[" * 32 + "]" * 32) is not None


@pytest.mark.parametrize("raw", ["-1", "1e3", "٣", "１", " 1", "18446744073709551616", -1, 2**63, True, 1.0, None])
def test_offsets_are_ascii_digits_up_to_2_63(raw):
    with pytest.raises(wire.WireError):
        wire.offset(raw)


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("42", 42), (str(2**63 - 1), 2**63 - 1), (7, 7)])
def test_good_offsets(raw, value):
    assert wire.offset(raw) == value


async def test_the_worker_runs_off_the_loop_refuses_when_full_and_times_out():
    release = threading.Event()
    worker = Worker(workers=1, queue=1, deadline=0.2)
    try:
        main = threading.get_ident()
        assert await worker.run(threading.get_ident) != main  # not on the event loop's thread
        blocked = [asyncio.create_task(worker.run(release.wait)) for _ in range(2)]  # one runs, one waits
        await asyncio.sleep(0.05)
        with pytest.raises(ApiError) as busy:
            await worker.run(lambda: 1)
        assert (busy.value.code, busy.value.status) == ("busy", 503)
        for task in blocked:
            with pytest.raises(ApiError) as late:
                await task
            assert (late.value.code, late.value.status) == ("timeout", 503)
        release.set()
        await asyncio.sleep(0.1)
        assert await worker.run(lambda: 5) == 5  # the slots came back when the work ended
    finally:
        release.set()
        worker.close()
