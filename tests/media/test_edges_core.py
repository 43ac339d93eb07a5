"""The pure core of the media origin and edges: the lease state machine, batch acceptance with
fencing, timeline continuity across origins, and the binary messages. No Redis, no clock."""

from __future__ import annotations

import pytest

from assembly.media import batch, lease
from assembly.media.lease import Lease
from assembly.media.timeline import Feed, Timeline, Verdict, accept, place

# lease -----------------------------------------------------------------------------------------


def test_an_edge_asks_for_the_lease_then_renews_it_while_origin():
    state, action = lease.due(Lease(), 10.0)
    assert action == "acquire" and not state.origin
    state = lease.acquired(state, 7, sent=10.0)
    assert state.origin and state.token == 7 and state.highest == 7
    assert state.valid_until == 10.0 + lease.TTL
    assert lease.due(state, 10.5) == (state, None)  # not due before RENEW_EVERY
    state, action = lease.due(state, 10.0 + lease.RENEW_EVERY)
    assert action == "renew"
    state = lease.renewed(state, True, sent=11.0)
    assert state.origin and state.valid_until == 11.0 + lease.TTL


def test_a_late_answer_never_stretches_the_lease():
    """The lease counts from when the request left, not from when the answer came back."""
    state = lease.acquired(Lease(), 1, sent=5.0)
    assert state.valid_until == 5.0 + lease.TTL
    state = lease.renewed(state, True, sent=6.0)  # answered at 7.9: still counts from 6.0
    assert state.valid_until == 6.0 + lease.TTL


def test_an_origin_that_cannot_renew_steps_down_before_anyone_else_can_take_over():
    state = lease.acquired(Lease(), 3, sent=0.0)
    for now in (1.0, 1.1, 1.3, 1.7, 2.5):  # Redis does not answer
        state = lease.failed(state, now)
        assert state.origin
    assert state.next_try - 2.5 <= lease.RETRY_MAX
    state, action = lease.due(state, lease.TTL)  # the lease ran out unrenewed
    assert not state.origin and action == "acquire"
    assert state.highest == 3  # it still refuses packets below its own old token


def test_losing_the_lease_makes_an_edge_at_once():
    state = lease.acquired(Lease(), 4, sent=0.0)
    lost = lease.renewed(state, False, sent=1.0)
    assert not lost.origin and lost.highest == 4 and lost.next_try == 1.0 + lease.ACQUIRE_EVERY
    fenced = lease.refused(state, 0.4)  # a publish refused by the script
    assert not fenced.origin and fenced.next_try == 0.4 + lease.ACQUIRE_EVERY
    assert lease.renewed(lost, True, sent=2.0) == lost  # a stray late answer changes nothing


def test_a_held_lease_is_asked_for_again_and_tokens_only_grow():
    state = lease.held_by_other(Lease(), 9, 1.0)
    assert not state.origin and state.highest == 9
    assert lease.due(state, 1.2)[1] is None and lease.due(state, 1.0 + lease.ACQUIRE_EVERY)[1] == "acquire"
    with pytest.raises(ValueError, match="only grow"):
        lease.acquired(state, 9, sent=2.0)
    assert lease.seen(state, 12).highest == 12 and lease.seen(state, 3).highest == 9


def test_backoff_doubles_and_is_capped():
    state = Lease()
    pauses = []
    for _ in range(8):
        state = lease.failed(state, 0.0)
        pauses.append(state.next_try)
    assert pauses[:3] == [lease.RETRY_MIN, 2 * lease.RETRY_MIN, 4 * lease.RETRY_MIN]
    assert max(pauses) == lease.RETRY_MAX
    assert lease.renewed(lease.acquired(state, 1, 0.0), True, 1.0).failures == 0


def test_a_process_that_cannot_reach_redis_is_cut_off_only_after_a_while():
    """An edge keeps waiting for its origin's packets through a blip; after CUT_OFF seconds of
    unanswered calls (counted from the first call that failed) its room mixes on its own."""
    edge = lease.held_by_other(Lease(), 5, 0.0)
    state = lease.failed(edge, 0.7, sent=0.5)
    assert not lease.cut_off(state, 0.5 + lease.CUT_OFF - 0.01)
    state = lease.failed(state, 1.9, sent=1.6)  # later failures do not move the start
    assert lease.cut_off(state, 0.5 + lease.CUT_OFF)
    # The first answer from Redis ends it, whatever it says.
    assert not lease.cut_off(lease.held_by_other(state, 5, 3.0), 3.0)
    back = lease.acquired(state, 6, sent=3.0)
    assert back.origin and not lease.cut_off(back, 3.0)
    # A blip: one failure, then an answer: never cut off.
    blip = lease.held_by_other(lease.failed(edge, 0.6, sent=0.5), 5, 0.8)
    assert blip.cut_off_at is None and not lease.cut_off(blip, 100.0)


def test_an_origin_whose_lease_lapses_unrenewed_is_cut_off_at_once():
    """Its listeners must not hear the silence of an edge with no origin: from the moment it
    stops being the origin for lack of answers, it mixes on its own."""
    state = lease.acquired(Lease(), 3, sent=0.0)
    state = lease.failed(state, 1.3, sent=1.2)
    assert state.origin and not lease.cut_off(state, 1.3)  # still the origin: nothing to decide
    state, action = lease.due(state, lease.TTL)
    assert not state.origin and action == "acquire" and lease.cut_off(state, lease.TTL)
    # A renewal that does get through clears it (the lease is still ours).
    ok = lease.renewed(lease.failed(lease.acquired(Lease(), 3, 0.0), 1.1, sent=1.0), True, sent=2.0)
    assert ok.origin and ok.cut_off_at is None


# acceptance ------------------------------------------------------------------------------------


def test_batches_in_order_are_taken_and_a_gap_is_noticed():
    feed, verdict = accept(Feed(), 5, 0)
    assert verdict is Verdict.SWITCH  # the first origin this edge hears
    feed, verdict = accept(feed, 5, 1)
    assert verdict is Verdict.OK
    feed, verdict = accept(feed, 5, 4)
    assert verdict is Verdict.GAP and feed.seq == 4
    assert accept(feed, 5, 4)[1] is Verdict.STALE  # a duplicate
    assert accept(feed, 5, 2)[1] is Verdict.STALE  # late


def test_a_stale_origin_is_refused_once_a_newer_one_was_heard():
    feed, _ = accept(Feed(), 5, 100)
    feed, verdict = accept(feed, 6, 0)  # the new origin numbers from 0
    assert verdict is Verdict.SWITCH and feed == Feed(6, 0)
    assert accept(feed, 5, 101) == (feed, Verdict.STALE)  # the old one, still publishing
    assert accept(feed, 6, 1)[1] is Verdict.OK


# continuity ------------------------------------------------------------------------------------


def test_one_source_keeps_its_spacing():
    t, out = place(Timeline(), 1, 1000, 0.0, 48000, 2880)
    assert out == 1000
    t, out = place(t, 1, 3880, 0.06, 48000, 2880)
    assert out == 3880
    t, out = place(t, 1, 9640, 0.18, 48000, 2880)  # a lost packet: the same gap on the way out
    assert out == 9640


def test_a_new_origin_continues_where_the_old_timeline_would_be_by_now():
    t, _ = place(Timeline(), 1, 500_000, 10.0, 48000, 2880)
    t, last = place(t, 1, 502_880, 10.06, 48000, 2880)
    # The new origin's clock starts near zero: far behind the old one.
    t, out = place(t, 2, 2880, 13.06, 48000, 2880)
    assert out == last + 3 * 48000  # three seconds of silence, then the new origin
    t, nxt = place(t, 2, 5760, 13.12, 48000, 2880)
    assert nxt == out + 2880  # and its own spacing from then on


def test_a_new_source_moves_the_timeline_on_by_at_least_one_packet():
    t, last = place(Timeline(), 1, 90_000, 1.0, 90000, 1)
    t, out = place(t, 2, 7, 1.0, 90000, 1)  # at the same instant
    assert out == last + 1


def test_a_source_whose_clock_jumps_back_cannot_move_the_timeline_back():
    t, _ = place(Timeline(), 1, 480_000, 0.0, 48000, 2880)
    t, last = place(t, 1, 482_880, 0.06, 48000, 2880)
    t, out = place(t, 1, 100, 0.12, 48000, 2880)
    assert out > last


# messages --------------------------------------------------------------------------------------


def test_down_batches_round_trip():
    entries = [
        batch.Entry("floor", 2**40, b"\x01\x02"),
        batch.Entry("fr", 3, b""),
        batch.Entry("floor", 90_000, bytes(range(256)) * 40, video=True, keyframe=True),
        batch.Entry("ngozi", 0, b"", video=True, ask=True),
    ]
    raw = batch.pack_down(2**50, 2**32 + 5, 1_700_000_000_000_000, entries)
    down = batch.unpack_down(raw)
    assert down == batch.Down(2**50, 5, 1_700_000_000_000_000, entries)


def test_up_messages_round_trip():
    raw = batch.pack_up(batch.AUDIO, "host:1:ab", [batch.Entry("ngozi", 17, b"\x00" * 1920)])
    assert batch.unpack_up(raw) == batch.Up(batch.AUDIO, "host:1:ab", [batch.Entry("ngozi", 17, b"\x00" * 1920)])
    assert batch.unpack_up(batch.pack_up(batch.KEYFRAME, "n")) == batch.Up(batch.KEYFRAME, "n", [])


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x01D",
        b"\x02D" + bytes(20),  # another version
        batch.pack_down(1, 1, 1, [batch.Entry("floor", 1, b"abc")])[:-1],  # truncated payload
        batch.pack_down(1, 1, 1, []) + b"\x00\x05",  # a truncated entry header
        batch.pack_down(1, 1, 1, []) + bytes([0, 1]) + bytes(12) + b"\xff",  # a name that is not UTF-8
        batch.pack_up(batch.WANTS, "n"),  # an up message is not a down batch
    ],
)
def test_garbage_is_refused_with_a_clear_error(raw):
    with pytest.raises(batch.BatchError):
        batch.unpack_down(raw)


def test_bad_up_messages_and_names_are_refused():
    for raw in (b"", b"\x01Z\x00", b"\x01W\x05ab", batch.pack_down(1, 1, 1, [])):
        with pytest.raises(batch.BatchError):
            batch.unpack_up(raw)
    with pytest.raises(ValueError):
        batch.pack_down(1, 1, 1, [batch.Entry("x" * 256, 0, b"")])
    with pytest.raises(ValueError):
        batch.pack_up(ord("Z"), "n")


# the direct path's shared packet -----------------------------------------------------------------


def test_a_wire_template_with_a_senders_own_fields_is_the_packet_aiortc_would_build():
    """Every listener's packet is the channel packet's template with its sequence number,
    timestamp and SSRC written in: byte for byte what serializing its own RtpPacket gives."""
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import HeaderExtensionsMap, RtpPacket

    from assembly.media.direct import _SEQ_TS_SSRC, Wire

    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            ]
        )
    )
    wire = Wire(b"\xfc opus payload", 2880, 0x1234_5678_9ABC_DEF0)
    template = wire.template(b"shape", 111, "1", extensions)
    assert wire.template(b"shape", 111, "1", extensions) is template  # built once per packet and shape
    for seq, ts, ssrc in ((0, 0, 1), (65535, 0xFFFFFFFF, 0xDEADBEEF), (517, 123_456, 42)):
        packet = bytearray(template)
        _SEQ_TS_SSRC.pack_into(packet, 2, seq, ts, ssrc)
        own = RtpPacket(payload_type=111, marker=1, sequence_number=seq, timestamp=ts)
        own.ssrc, own.payload = ssrc, wire.payload
        own.extensions.abs_send_time = (wire.ntp >> 14) & 0x00FFFFFF
        own.extensions.mid = "1"
        assert bytes(packet) == own.serialize(extensions)
