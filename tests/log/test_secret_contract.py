"""The log's secret store (counters and receipts that commit with events), on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from mayday.log import Conflict, NewEvent, ReceiptMissing, SecretWrite, open_log


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def log(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "redis":
        opened = await open_log(redis_url=request.getfixturevalue("redis_log_url"))
    else:
        opened = await open_log(data_dir=str(tmp_path))
    yield opened
    await opened.close()


VOTED = [NewEvent("ballot_voted", {"ballot": 1, "voter": "x"})]


async def test_counters_and_receipts_commit_with_the_events(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SecretWrite({"b1:yes": 2000}, add_receipts=("b1:r1",)))
    await log.append(s, 1, VOTED, SecretWrite({"b1:no": 1000, "b2:yes": 1000}, add_receipts=("b1:r2",)))
    assert await log.read_secret(s, "b1:") == (2, {"b1:yes": 2000, "b1:no": 1000})
    assert await log.read_secret(s, "b2:") == (2, {"b2:yes": 1000})
    assert await log.read_secret("assembly:other", "b1:") == (0, {})
    # Replace a vote: the old receipt must be held; counters move by the weight.
    await log.append(
        s,
        2,
        VOTED,
        SecretWrite({"b1:yes": -2000, "b1:no": 2000}, add_receipts=("b1:r3",), remove_receipts=("b1:r1",)),
    )
    assert (await log.read_secret(s, "b1:"))[1] == {"b1:yes": 0, "b1:no": 3000}


async def test_a_missing_receipt_refuses_the_whole_append(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SecretWrite({"b1:yes": 1}, add_receipts=("b1:r1",)))
    with pytest.raises(ReceiptMissing):
        await log.append(s, 1, VOTED, SecretWrite({"b1:yes": -1, "b1:no": 1}, remove_receipts=("b1:forged",)))
    assert await log.last_offset(s) == 1
    assert (await log.read_secret(s, "b1:"))[1] == {"b1:yes": 1}
    # A receipt is spent once.
    await log.append(s, 1, VOTED, SecretWrite({"b1:yes": -1, "b1:no": 1}, ("b1:r2",), ("b1:r1",)))
    with pytest.raises(ReceiptMissing):
        await log.append(s, 2, VOTED, SecretWrite({}, (), ("b1:r1",)))


async def test_a_conflict_writes_no_secret(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED)
    with pytest.raises(Conflict):
        await log.append(s, 0, VOTED, SecretWrite({"b1:yes": 5}, add_receipts=("b1:r",)))
    assert (await log.read_secret(s, "b1:"))[1] == {}
    with pytest.raises(ReceiptMissing):  # the receipt was not added either
        await log.append(s, 1, VOTED, SecretWrite({}, (), ("b1:r",)))


async def test_clear_prefix_drops_a_closed_ballots_counters_and_receipts(log):
    s = "assembly:a"
    await log.append(s, 0, VOTED, SecretWrite({"b1:yes": 1, "b10:yes": 7}, add_receipts=("b1:r", "b10:r")))
    closed = [NewEvent("ballot_closed", {"ballot": 1, "yes": 1})]
    await log.append(s, 1, closed, SecretWrite(clear_prefix="b1:"))
    assert (await log.read_secret(s, "b1"))[1] == {"b10:yes": 7}
    with pytest.raises(ReceiptMissing):
        await log.append(s, 2, VOTED, SecretWrite(remove_receipts=("b1:r",)))
    await log.append(s, 2, VOTED, SecretWrite(remove_receipts=("b10:r",)))
