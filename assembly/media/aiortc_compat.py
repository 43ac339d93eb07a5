"""Every private aiortc and aioice name the media hub uses, in one place, checked at import.

The hub leans on a few internals that aiortc and aioice offer no public API for (why each one is
needed: docs/media-design.md; what uses it: the docstrings below). Nothing else in the hub
touches a private aiortc/aioice name: ``direct.py``, ``room.py`` and ``hub.py`` call the
functions here. aiortc is pinned to the minor version these were read in (pyproject.toml); on
import this module checks that the installed aiortc is in that range and that every name below
still exists where aiortc keeps it (and, for the hooks that replace a method on one instance,
that aiortc still looks it up through the instance), and raises ImportError naming the supported
range and the missing name otherwise. Upgrading aiortc means re-reading each hook against the new
source, then widening ``SUPPORTED`` and the pin together.
"""

from __future__ import annotations

import contextlib
import dis
import re
import types
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aioice.ice
import aiortc
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

SUPPORTED = ">=1.16,<1.17"  # the aiortc pin in pyproject.toml, which a test keeps equal to this
_LOWEST, _BEYOND = (1, 16), (1, 17)


@dataclass(frozen=True, slots=True)
class Need:
    """One private name this module relies on, as Python stores it (name-mangled attributes of
    ``RTCRtpSender`` are ``_RTCRtpSender__<name>``)."""

    owner: Any  # the aiortc/aioice class or module that holds it
    name: str
    instance: bool = False  # an instance attribute: assigned to self in ``owner.__init__`` (read from its bytecode)
    read_by: str = ""  # a function of ``owner`` (dotted) that must look the name up when it runs


NEEDS: tuple[Need, ...] = (
    # replace_rtp_loop: send() starts ``self._run_rtp(codec)``; stop() awaits the two events.
    Need(RTCRtpSender, "_run_rtp", read_by="send"),
    Need(RTCRtpSender, "_RTCRtpSender__rtp_started", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__rtp_exited", instance=True),
    # rtp_header_fields and record_sent: what _run_rtp reads and counts for each packet.
    Need(RTCRtpSender, "_ssrc", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__mid", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__rtp_header_extensions_map", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__ntp_timestamp", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__rtp_timestamp", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__octet_count", instance=True),
    Need(RTCRtpSender, "_RTCRtpSender__packet_count", instance=True),
    # send_rtp_nowait: RTCDtlsTransport._send_rtp's SRTP session and the ICE connection under it.
    Need(RTCDtlsTransport, "_tx_srtp", instance=True),
    Need(RTCIceTransport, "_connection", instance=True),
    Need(aioice.ice.Connection, "sendto"),
    # on_keyframe_request: a PLI or FIR calls ``self._send_keyframe()``.
    Need(RTCRtpSender, "_send_keyframe", read_by="_handle_rtcp_packet"),
    # is_receiving/set_receiving: an incoming RTP packet is dropped at once unless ``_enabled``.
    Need(RTCRtpReceiver, "_enabled", instance=True, read_by="_handle_rtp_packet"),
    # send_pli
    Need(RTCRtpReceiver, "_send_rtcp_pli"),
    # restrict_host_addresses: gather_candidates calls the module's function by its global name.
    Need(aioice.ice, "get_host_addresses", read_by="Connection.gather_candidates"),
)


def check(version: str, needs: Iterable[Need] = NEEDS) -> None:
    """Raise ImportError unless ``version`` is a supported aiortc and every need is met."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None or not _LOWEST <= (int(match[1]), int(match[2])) < _BEYOND:
        raise ImportError(
            f"the media hub supports aiortc{SUPPORTED} (pinned in pyproject.toml) and found aiortc {version}; "
            "install a supported aiortc (it relies on private aiortc names, see assembly/media/aiortc_compat.py)"
        )
    for need in needs:
        problem = _problem(need)
        if problem:
            raise ImportError(
                f"the media hub supports aiortc{SUPPORTED} (pinned in pyproject.toml); with aiortc {version} "
                f"{problem}, which assembly/media/aiortc_compat.py relies on"
            )


def _problem(need: Need) -> str:
    owner = getattr(need.owner, "__qualname__", None) or need.owner.__name__
    where = f"{owner}.{need.name}"
    if need.instance:
        init = getattr(need.owner.__init__, "__code__", None)
        stored = {i.argval for i in dis.get_instructions(init) if i.opname == "STORE_ATTR"} if init else set()
        if need.name not in stored:
            return f"{owner}.__init__ does not set {where}"
    elif not hasattr(need.owner, need.name):
        return f"there is no {where}"
    if need.read_by:
        reader: Any = need.owner
        for part in need.read_by.split("."):
            reader = getattr(reader, part, None)
        code = getattr(reader, "__code__", None)
        if code is None:
            return f"there is no {owner}.{need.read_by}"
        if need.name not in _names_used(code):
            return f"{owner}.{need.read_by} does not look up {need.name}"
    return ""


def _names_used(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


check(aiortc.__version__)


# The direct audio path (direct.py) ---------------------------------------------------------------


def replace_rtp_loop(sender: RTCRtpSender, run: Callable[[Any], Awaitable[None]]) -> None:
    """Make ``run(codec)`` this sender's RTP task instead of aiortc's ``_run_rtp``.

    ``RTCRtpSender.send()`` starts ``self._run_rtp(parameters.codecs[0])`` by ordinary attribute
    lookup, so an instance attribute replaces the method for this sender only; ``stop()`` waits for
    the private events ``__rtp_started`` and ``__rtp_exited``, so the replacement sets them, as
    aiortc's loop does, before and after ``run``. ``run`` returns when ``stop()`` cancels it."""
    started, exited = sender._RTCRtpSender__rtp_started, sender._RTCRtpSender__rtp_exited  # type: ignore[attr-defined]

    async def _run_rtp(codec: Any) -> None:
        started.set()
        try:
            await run(codec)
        finally:
            exited.set()

    sender._run_rtp = _run_rtp  # type: ignore[method-assign]


def rtp_header_fields(sender: RTCRtpSender) -> tuple[int, str | None, Any]:
    """The sender's SSRC, ``mid`` and header-extension map, as ``_run_rtp`` writes them into each
    packet (``_ssrc``, ``__mid``, ``__rtp_header_extensions_map``). ``send()`` sets the last two,
    so call this from the loop ``replace_rtp_loop`` installed; aiortc never changes them after."""
    return (
        sender._ssrc,
        sender._RTCRtpSender__mid,  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_header_extensions_map,  # type: ignore[attr-defined]
    )


def record_sent(sender: RTCRtpSender, ntp: int, rtp_timestamp: int, octets: int) -> None:
    """Count one RTP packet sent on the sender's behalf, as ``_run_rtp`` does after each send:
    ``__ntp_timestamp``, ``__rtp_timestamp``, ``__octet_count`` and ``__packet_count`` feed its
    RTCP sender reports (``_run_rtcp``) and ``getStats()``."""
    s: Any = sender
    s._RTCRtpSender__ntp_timestamp = ntp
    s._RTCRtpSender__rtp_timestamp = rtp_timestamp
    s._RTCRtpSender__octet_count += octets
    s._RTCRtpSender__packet_count += 1


def send_rtp_nowait(dtls: RTCDtlsTransport, packet: bytes) -> bool:
    """Encrypt and send one serialized RTP packet now, without waiting; False if it was dropped.

    What ``RTCDtlsTransport._send_rtp`` does, minus the ``await``: SRTP with the transport's
    session (``_tx_srtp``), then aioice's ``Connection.sendto`` on the ICE transport's private
    ``_connection``. That coroutine only ends in the datagram transport's ``sendto``, which does
    not wait, so it is driven one step by hand: it finishes at once, or raises ConnectionError
    (not connected: dropped), or would have waited (then it is closed and the packet dropped
    rather than stall every listener of the tick). Unlike ``_send_rtp`` this does not count the
    DTLS transport's own byte and packet totals. The caller checks ``dtls.state`` first."""
    data = dtls._tx_srtp.protect(packet)
    send = dtls.transport._connection.sendto(data, 1)
    try:
        send.send(None)
    except StopIteration:
        return True
    except ConnectionError:
        return False
    with contextlib.suppress(Exception):
        send.close()
    return False


# Keyframes and receivers (room.py) ---------------------------------------------------------------


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote asks this sender for a keyframe (PLI or FIR).

    ``RTCRtpSender._handle_rtcp_packet`` calls ``self._send_keyframe()``, which only sets a flag
    that aiortc's own encoder reads; on the pre-encoded path nobody reads it. An instance attribute
    replaces the method for this sender."""
    sender._send_keyframe = callback  # type: ignore[method-assign]


def is_receiving(receiver: RTCRtpReceiver) -> bool:
    """Whether the receiver passes incoming RTP on (see ``set_receiving``)."""
    return receiver._enabled


def set_receiving(receiver: RTCRtpReceiver, on: bool) -> None:
    """Decode this receiver's media or drop it at the door: ``RTCRtpReceiver._handle_rtp_packet``
    returns before the jitter buffer and decoder when ``_enabled`` is False (aiortc's own use is an
    inactive direction). The decoder thread and the remote track stay as they are."""
    receiver._enabled = on


async def send_pli(receiver: RTCRtpReceiver, ssrc: int) -> None:
    """Ask the remote sender of ``ssrc`` for a keyframe: ``RTCRtpReceiver._send_rtcp_pli``, the
    private method aiortc itself uses after a decode error. ``ssrc`` comes from the public
    ``receiver.getSynchronizationSources()``."""
    await receiver._send_rtcp_pli(ssrc)


# ICE host candidates (hub.py) --------------------------------------------------------------------

_host_addresses: list[str] = []


def _chosen_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    return [a for a in _host_addresses if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


def restrict_host_addresses(addresses: Iterable[str]) -> None:
    """Gather ICE host candidates on these addresses only, for every connection in this process.

    aioice offers no interface selection and skips loopback (``aioice.ice.get_host_addresses``),
    so a server with several interfaces, or a test on loopback, names its addresses here.
    ``Connection.gather_candidates`` looks that module function up at call time, so replacing it
    is the only way in, and it is process-wide: aioice has no per-connection setting. The
    replacement is installed once (again only if something else was put there since); a later
    call changes the addresses it answers with, the last call wins."""
    _host_addresses[:] = addresses
    if aioice.ice.get_host_addresses is not _chosen_host_addresses:
        aioice.ice.get_host_addresses = _chosen_host_addresses
