"""One assembly's live media in this process: its peers, sources, channels and 20 ms tick.

Every change of who is heard comes from the log: the tick folds nothing itself, it asks the
assembly's current state (kept by the stream service) and the pure routing
(``assembly.interpretation``), and applies the answer -- mixer targets, which receivers are
decoded. A client can only choose what it hears (a channel, video on or off); what it may send is
fixed by its role when the hub writes the offer, and whether it is heard by the routing.

With Redis, a room is its assembly's origin or one of its edges (``cluster.RoomLink`` decides and
calls ``become``): the origin mixes and encodes, also for the edges; an edge does not mix, it
forwards the origin's packets to its listeners and the voices of its own delegates and
interpreters to the origin. Joining, answering and choosing a channel work the same either way.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

from assembly import interpretation
from assembly.interpretation import AUDIO, FLOOR, LAYOUT, SENDS, VIDEO, Routing
from assembly.media import aiortc_compat, direct
from assembly.media.batch import AUDIO as UP_AUDIO
from assembly.media.batch import VIDEO as UP_VIDEO
from assembly.media.batch import Entry
from assembly.media.channels import AudioChannel, VideoChannel
from assembly.media.settings import MediaError, MediaSettings
from assembly.media.sources import AudioSource, RemoteCamera, VideoSource
from assembly.media.tracks import PacketTrack
from assembly.state import AssemblyState

if TYPE_CHECKING:
    from assembly.media.cluster import RoomLink

log = logging.getLogger("mayday.media")

TICK = 0.02  # seconds: one 20 ms chunk of every audio channel per tick
MAX_LATE = 0.1  # seconds behind schedule after which the tick skips ahead instead of bursting
FLOOR_RAMP = 5  # ticks (100 ms): crossfade when the floor changes hands
BOOTH_RAMP = 15  # ticks (300 ms): crossfade of a booth handover
VIDEO_EVERY = 3  # ticks per video frame (about 16 fps)
PLI_DELAY = 0.15  # seconds after a speaker's camera starts being decoded before asking for a keyframe
CHAT_KEEP = 50  # booth messages a partner who (re)joins is shown


Push = Callable[[dict[str, Any]], None]


class Peer:
    """One participant's RTCPeerConnection to the hub."""

    def __init__(
        self, pid: int, person: str | None, role: str, version: int, pc: RTCPeerConnection, push: Push
    ) -> None:
        self.id, self.person, self.role, self.version, self.pc, self.push = pid, person, role, version, pc, push
        self.sends = SENDS[role]
        self.tracks: list[PacketTrack] = []
        self.receivers: dict[str, Any] = {}  # kind -> RTCRtpReceiver this peer may publish on
        self.readers: list[asyncio.Task[None]] = []
        self.channel: str | None = None
        self.video = True
        self.answered = False
        self.closed = False

    def describe(self) -> dict[str, Any]:
        return {"channel": self.channel or FLOOR, "video": self.video}


class Room:
    def __init__(self, assembly_id: str, state_of: Callable[[], AssemblyState | None], settings: MediaSettings):
        self.assembly_id, self.state_of, self.settings = assembly_id, state_of, settings
        state = state_of()
        assert state is not None and state.definition is not None
        per, ticks = settings.per_listener_encode, max(1, settings.audio_packet_ms // 20)
        self.audio = {FLOOR: AudioChannel(FLOOR, ramp=FLOOR_RAMP, per_listener=per, packet_ticks=ticks)} | {
            lang: AudioChannel(lang, ramp=BOOTH_RAMP, per_listener=per, packet_ticks=ticks)
            for lang in state.definition.languages
        }
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"mayday-vp8-{assembly_id}")
        self.video = VideoChannel(self.executor, per_listener=per)
        self.peers: dict[int, Peer] = {}
        self.publisher: dict[str, Peer] = {}  # person -> the connection their voice comes from
        self.audio_in: dict[str, AudioSource] = {}
        self.video_in: dict[str, VideoSource] = {}
        self.state: AssemblyState | None = None
        self.routing = Routing()
        self.chat: dict[str, collections.deque[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.ticks = 0
        self.skipped = 0
        # Origin and edges (cluster.py). Alone (no Redis) this process is always the origin.
        self.origin = True
        self.link: RoomLink | None = None
        self.remote_in: dict[str, AudioSource] = {}  # voices edges forward to the origin
        self._out: list[Entry] = []  # what this tick encoded for the edges
        for channel in self.audio.values():
            channel.tap = self._out.append
        self.video.tap = self._publish_now
        self._uplinked = 0
        self.remote_video: dict[str, RemoteCamera] = {}  # cameras edges forward to the origin
        # An edge's own encoder for the floor speaker's camera when their connection is here.
        self.camera_up = VideoChannel(self.executor)
        self.camera_up.remote, self.camera_up.tap = True, self._uplink_camera
        self._camera_of: str | None = None
        self.task = asyncio.create_task(self._run(), name=f"mayday-media-{assembly_id}")

    # origin or edge -------------------------------------------------------------------------

    def become(self, token: int) -> None:
        """The link's lease says: origin with fencing ``token``, or an edge (0)."""
        self.origin = token != 0
        self.remote_in.clear()
        self.remote_video.clear()
        self._camera_of = None
        self._out.clear()
        for channel in self.audio.values():
            channel.source, channel.remote = token, False
            channel.pending.clear()
        self.video.source, self.video.remote = token, False
        self.video.upstream = None if self.origin or self.link is None else self.link.ask_keyframe
        if self.origin:
            self.video.restart()

    def in_use(self) -> bool:
        """Whether anyone in this process still uses the room: a peer, or any other subscriber."""
        return bool(self.peers) or bool(self.video.subscribers) or any(c.subscribers for c in self.audio.values())

    def local_wants(self) -> tuple[frozenset[str], bool]:
        """What this process's own subscribers listen to: the channels, and whether the picture."""
        return frozenset(name for name, c in self.audio.items() if c.subscribers), bool(self.video.subscribers)

    def _publish_now(self, entry: Entry) -> None:
        if self.link is not None:
            self.link.publish([entry])

    def _uplink_camera(self, entry: Entry) -> None:
        if self.link is not None and self._camera_of is not None:
            self.link.uplink(UP_VIDEO, [entry._replace(name=self._camera_of)])

    def camera_asked(self, person: str) -> None:
        """The origin needs a keyframe of ``person``'s camera, which this edge forwards."""
        if person == self._camera_of:
            self.camera_up.request_keyframe()

    # peers ----------------------------------------------------------------------------------

    async def join(self, person: str | None, role: str, version: int, push: Push) -> tuple[Peer, str]:
        """A new connection for this participant; returns it and the hub's SDP offer."""
        if len(self.peers) >= self.settings.max_peers:
            raise MediaError("media_full", "this assembly's stream is full on this server; try again later")
        servers = [RTCIceServer(**s) for s in self.settings.ice_servers]
        pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        peer = Peer(next(self._ids), person, role, version, pc, push)
        self.peers[peer.id] = peer
        try:
            for (_, kind), send in zip(LAYOUT, peer.sends, strict=True):
                transceiver = pc.addTransceiver(kind, direction="sendrecv" if send else "sendonly")
                transceiver.setCodecPreferences(_codecs(kind))
                track = PacketTrack(kind, on_stop=self._unsubscribe)
                transceiver.sender.replaceTrack(track)
                if kind == AUDIO and self.settings.direct_send and not self.settings.per_listener_encode:
                    direct.install(transceiver.sender, partial(setattr, track, "sink"), track.stop)
                if kind == VIDEO:
                    # aiortc ignores PLI/FIR on its pre-encoded path (it only flags its own
                    # encoder); one shared encoder is asked instead.
                    aiortc_compat.on_keyframe_request(transceiver.sender, self.video.request_keyframe)
                peer.tracks.append(track)
                if send:
                    peer.receivers[kind] = transceiver.receiver

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                if track.kind in peer.receivers and peer.receivers[track.kind].track is track:
                    self._spawn_reader(peer, track)
                # Anything else cannot happen: the offer only receives on the transceivers above.

            @pc.on("connectionstatechange")
            async def on_state() -> None:
                if pc.connectionState in ("failed", "closed"):
                    await self.leave(peer)

            await pc.setLocalDescription(await pc.createOffer())
        except BaseException:
            await self.leave(peer)
            raise
        return peer, pc.localDescription.sdp

    async def answer(self, peer: Peer, sdp: str) -> None:
        if peer.answered:
            raise MediaError("media_state", "this connection is already answered; join again to restart it")
        try:
            await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as e:  # aiortc raises ValueError and friends on SDP it cannot use
            raise MediaError("bad_sdp", f"the answer was refused ({e}); send media_join again") from None
        peer.answered = True
        if peer.person is not None and peer.receivers:
            previous = self.publisher.get(peer.person)
            self.publisher[peer.person] = peer  # the newest connection of a person is their voice
            if previous is not None and previous is not peer:
                self._disable(previous)
            self.audio_in.setdefault(peer.person, AudioSource()).reset()
            self.video_in.setdefault(peer.person, VideoSource()).reset()
        self._apply_receivers(peer)
        self.audio[FLOOR].subscribe(peer.tracks[0])
        self._move(peer, peer.channel, peer.video)

    def select(self, peer: Peer, channel: str | None, video: bool) -> dict[str, Any]:
        state = self.state_of()
        assert state is not None
        try:
            chosen = interpretation.choose_channel(state, peer.person, peer.role, channel)
        except ValueError as e:
            raise MediaError("bad_channel", str(e)) from None
        if peer.answered:
            self._move(peer, chosen, video)
        else:
            peer.channel, peer.video = chosen, video
        return peer.describe()

    def _move(self, peer: Peer, channel: str | None, video: bool) -> None:
        track = peer.tracks[1]
        if peer.channel is not None:
            self.audio[peer.channel].unsubscribe(track)
        if channel is not None and channel != peer.channel:
            track.clear()
        peer.channel = channel
        if channel is not None:
            self.audio[channel].subscribe(track)
        peer.video = video
        if video:
            self.video.subscribe(peer.tracks[2])
        else:
            self.video.unsubscribe(peer.tracks[2])

    def _unsubscribe(self, track: PacketTrack) -> None:
        for channel in self.audio.values():
            channel.unsubscribe(track)
        self.video.unsubscribe(track)

    async def leave(self, peer: Peer) -> None:
        if peer.closed:
            return
        peer.closed = True
        self.peers.pop(peer.id, None)
        if peer.person is not None and self.publisher.get(peer.person) is peer:
            del self.publisher[peer.person]
            self.audio_in.pop(peer.person, None)
            self.video_in.pop(peer.person, None)
        for track in peer.tracks:
            track.stop()
        for task in peer.readers:
            task.cancel()
        await asyncio.gather(*peer.readers, return_exceptions=True)
        await peer.pc.close()

    # publishing ------------------------------------------------------------------------------

    def _spawn_reader(self, peer: Peer, track: MediaStreamTrack) -> None:
        task = asyncio.create_task(self._read(peer, track), name=f"mayday-media-read-{peer.id}-{track.kind}")
        peer.readers.append(task)

    async def _read(self, peer: Peer, track: MediaStreamTrack) -> None:
        """Drain a received track for as long as it lives (aiortc queues decoded frames without
        bound); keep what the routing lets through."""
        kind = track.kind
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if peer.person is None or self.publisher.get(peer.person) is not peer:
                continue
            source = (self.audio_in if kind == AUDIO else self.video_in).get(peer.person)
            if source is not None and self.routing.decoded(peer.person, kind):
                source.feed(frame)

    def _apply_receivers(self, peer: Peer) -> None:
        """Decode what the routing lets through; drop everything else at the door (before aiortc's
        jitter buffer and decoder: ``aiortc_compat.set_receiving``)."""
        for kind, receiver in peer.receivers.items():
            on = (
                peer.answered
                and peer.person is not None
                and self.publisher.get(peer.person) is peer
                and self.routing.decoded(peer.person, kind)
            )
            if on and not aiortc_compat.is_receiving(receiver):
                if kind == AUDIO:
                    self.audio_in[peer.person].reset()
                else:
                    self._later(PLI_DELAY, self._ask_keyframe(receiver))
            aiortc_compat.set_receiving(receiver, on)

    def _disable(self, peer: Peer) -> None:
        for receiver in peer.receivers.values():
            aiortc_compat.set_receiving(receiver, False)

    async def _ask_keyframe(self, receiver: Any) -> None:
        """The new speaker's camera: ask their browser for a keyframe, so the floor's picture
        changes at once rather than at the browser's next scheduled keyframe."""
        for source in receiver.getSynchronizationSources():
            await aiortc_compat.send_pli(receiver, source.source)

    def _later(self, delay: float, coro: Any) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await coro

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # the tick --------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while True:
            n += 1
            delay = start + n * TICK - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            elif -delay > MAX_LATE:  # a stall: skip ahead (a gap the decoders conceal), no burst
                behind = int(-delay / TICK)
                n += behind
                self.skipped += behind
            try:
                self.refresh()
                self.tick(n)
            except Exception:  # a bad frame must not silence the assembly
                log.exception("media tick failed in assembly %s", self.assembly_id)

    def refresh(self) -> None:
        """Follow the log: a new floor holder, a booth handover, a revoked link."""
        state = self.state_of()
        if state is None or state is self.state or state.definition is None:
            return
        self.state = state
        old, self.routing = self.routing, interpretation.routing(state)
        for name, channel in self.audio.items():
            channel.mixer.set_targets(self.routing.sources_of(name))
        for peer in list(self.peers.values()):
            if peer.person is not None and state.link_versions.get(peer.person, 0) != peer.version:
                peer.push({"type": "error", "code": "revoked", "message": "your link was revoked"})
                self._later(0, self.leave(peer))
                continue
            self._apply_receivers(peer)
        if old.floor != self.routing.floor:
            self.video.request_keyframe()

    def tick(self, n: int) -> None:
        self.ticks += 1
        if not self.origin:
            self._uplink(n)
            return
        chunks = {person: chunk for person, source in self.audio_in.items() if (chunk := source.take()) is not None}
        for person, source in self.remote_in.items():
            if person not in chunks and (chunk := source.take()) is not None:
                chunks[person] = chunk
        for channel in self.audio.values():
            channel.tick(chunks, n)
        if self._out:
            if self.link is not None:
                self.link.publish(list(self._out))
            self._out.clear()  # the channels' taps append to this very list
        if n % VIDEO_EVERY == 0:
            floor = self.routing.floor
            source = self.video_in.get(floor) if floor else None
            if source is None and floor in self.remote_video:
                source = self.remote_video[floor].source
            self.video.offer(source.take() if source else None)

    def _uplink(self, n: int) -> None:
        """An edge: the voices decoded here (the routing decides whose) go to the origin as they
        come, which paces them like its own; the floor speaker's camera, if their connection is
        here, is encoded once more (VP8, its own encoder) and goes up too."""
        if self.link is None:
            return
        entries = []
        for person, source in self.audio_in.items():
            for chunk in source.drain():
                entries.append(Entry(person, self._uplinked, chunk.tobytes()))
                self._uplinked += 1
        if entries:
            self.link.uplink(UP_AUDIO, entries)
        if n % VIDEO_EVERY == 0:
            floor = self.routing.floor
            source = self.video_in.get(floor) if floor else None
            frame = source.take() if source is not None else None
            if frame is not None:
                if floor != self._camera_of:
                    self._camera_of = floor
                    self.camera_up.restart()  # a new camera starts with a keyframe
                self.camera_up.offer(frame)

    # the booth back-channel ------------------------------------------------------------------

    def booth_message(self, peer: Peer, text: str, at: str, cid: Any = None) -> None:
        state = self.state_of()
        assert state is not None
        partners = interpretation.booth_partners(state, peer.person)
        if not partners:
            raise MediaError("forbidden", "only interpreters have a booth back-channel")
        me = state.person(peer.person)
        assert me is not None and me.booth is not None
        frame = {"type": "booth_chat", "booth": me.booth, "from": peer.person, "text": text, "at": at}
        self.chat.setdefault(me.booth, collections.deque(maxlen=CHAT_KEEP)).append(frame)
        for other in self.peers.values():
            if other is peer:
                other.push(frame | {"id": cid})  # the sender's copy answers its frame
            elif other.person in partners:
                other.push(frame)
        if self.link is not None:
            self.link.chat(frame)  # partners whose connection reached another process

    def booth_relayed(self, frame: dict[str, Any]) -> None:
        """A booth message sent through another process: to this process's partners."""
        state = self.state_of()
        if state is None:
            return
        partners = interpretation.booth_partners(state, frame["from"])
        sender = state.person(frame["from"])
        if not partners or sender is None or sender.booth != frame["booth"]:
            return
        self.chat.setdefault(frame["booth"], collections.deque(maxlen=CHAT_KEEP)).append(frame)
        for other in self.peers.values():
            if other.person in partners:
                other.push(frame)

    def booth_history(self, peer: Peer) -> list[dict[str, Any]]:
        state = self.state_of()
        me = state.person(peer.person) if state else None
        if me is None or me.role != "interpreter" or not me.booth:
            return []
        return list(self.chat.get(me.booth, ()))

    # the end ---------------------------------------------------------------------------------

    async def close(self) -> None:
        """Listeners first, then the tick and the encoder, then publishers (closing a publisher
        joins aiortc's decoder threads); no task, thread or connection is left behind."""
        listeners = [p for p in self.peers.values() if not p.receivers]
        await asyncio.gather(*(self.leave(p) for p in listeners), return_exceptions=True)
        if self.link is not None:
            await self.link.close()
        self.task.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(self.task, *self._tasks, return_exceptions=True)
        self.executor.shutdown(wait=True)
        await asyncio.gather(*(self.leave(p) for p in list(self.peers.values())), return_exceptions=True)
        for channel in self.audio.values():
            channel.close()
        self.video.close()
        self.camera_up.close()
        await asyncio.sleep(0)  # let aiortc's cancelled DTLS tasks finish


def _codecs(kind: str) -> list[Any]:
    """Pin the codec the shared encoders produce: a sender packs with its first negotiated codec."""
    wanted = {"audio/opus"} if kind == AUDIO else {"video/VP8", "video/rtx"}
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType in wanted]
