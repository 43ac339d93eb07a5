"""The livestream: an aiortc media hub around the pure interpretation routing.

``tracks`` (bounded per-subscriber packet queues), ``mixer`` (pure gain ramps over 20 ms chunks),
``channels`` (encode once per channel, hand the same packets to every subscriber), ``sources``
(what the hub decodes from publishers), ``room`` (one assembly's channels, peers and tick), ``hub``
(every room of this process) and ``signalling`` (the WebSocket frames). See docs/architecture.md.
"""
