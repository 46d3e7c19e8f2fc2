"""``import sessions_lib`` loads none of the heavy dependencies: each is imported where it is used."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("polars", "pyarrow", "dagster", "psycopg", "matplotlib", "pandas")


def heavy_modules_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport sys\nprint(*[m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_importing_the_library_loads_no_heavy_dependency():
    assert heavy_modules_after("import sessions_lib") == []


def test_a_public_name_loads_only_what_it_needs():
    """The client and the Session API need DuckDB, not polars, Arrow or the PostgreSQL driver."""
    assert heavy_modules_after("from sessions_lib import Client, Session") == []
