"""A restart answers before the media stack is loaded: importing the app loads neither aiortc, PyAV
nor NumPy (more than half a second of every start, bench/README.md §8), and the server's lifespan
imports them in a worker thread once it is up, so a first join finds them ready. Each check runs
in a fresh interpreter: this one has long imported everything."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("aiortc", "av", "aioice", "numpy", "scipy")


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_app_loads_no_media_or_numerics() -> None:
    loaded = _run(f"import sys, mayday.app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert loaded == "[]"


def test_the_lifespan_imports_the_media_stack_after_startup(tmp_path: Path) -> None:
    out = _run(
        f"""
        import asyncio, sys, time
        from mayday.app import Settings, create_app

        async def main():
            app = create_app(Settings(data_dir={str(tmp_path)!r}, timers=False))
            async with app.router.lifespan_context(app):
                at_start = "aiortc" in sys.modules
                deadline = time.monotonic() + 60
                room = lambda: getattr(sys.modules.get("assembly.media.room"), "Room", None)
                while room() is None and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                print(at_start, room() is not None, "av" in sys.modules)

        asyncio.run(main())
        """
    )
    # Not yet imported when the server starts answering; imported shortly after, off the loop.
    assert out == "False True True"
