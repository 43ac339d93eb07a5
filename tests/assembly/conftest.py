"""The pure core's driver as a fixture (the driver and shared definitions: assembly_driver.py)."""

from __future__ import annotations

import pytest
from assembly_driver import Driver


@pytest.fixture
def drive() -> Driver:
    return Driver()
