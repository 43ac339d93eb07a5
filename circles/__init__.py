"""Twin circles and their shared-risk ledger: the pure core (no I/O, no clock, no event loop)."""
