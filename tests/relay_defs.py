"""Going away: ``soon`` lives in helpers.py now. Kept only while a test still imports it from here
(tests/mayday/test_ratelimits.py, being written); new tests import it from helpers."""

from __future__ import annotations

from helpers import soon

__all__ = ["soon"]
