"""The light commands load only what they use: ``sessions --help`` and the read commands import no
Dagster, matplotlib, polars or Arrow (each command imports what it runs inside its function)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sessions_lib import Client, RecordedTopic, Session, register_dataset, register_file

ROOT = Path(__file__).resolve().parents[2]
NOT_FOR_READS = ("dagster", "matplotlib", "polars", "pyarrow", "pandas", "psycopg")
S = 1_000_000_000


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A catalog with one session on one file: (its folder, the session's id)."""
    folder = tmp_path_factory.mktemp("light") / "catalog"
    client = Client(folder, org_ids=["org_local"])
    dataset = register_dataset("light", roboto_client=client)
    recording = register_file(
        dataset.dataset_id, "a.mcap", [RecordedTopic("/imu", spans=((0, 60 * S),))], roboto_client=client
    )
    session = Session.create(name="light", roboto_client=client).add_file(recording.file_id)
    client.catalog.close()
    return folder, session.session_id


def loaded_by_command(*arguments: str) -> list[str]:
    """Run ``sessions <arguments>`` in a fresh interpreter (it must succeed); the modules of
    ``NOT_FOR_READS`` it loaded."""
    script = (
        "import sys\n"
        "from pipelines.cli import app\n"
        "try:\n"
        f"    app({list(arguments)!r})\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code\n"
        f"print('loaded:', *[m for m in {NOT_FOR_READS!r} if m in sys.modules])\n"
    )
    env = {**os.environ, "SESSIONS_ORG_IDS": "org_local"}
    env.pop("SESSIONS_CATALOG", None)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()[-1].split()[1:]


def test_help_loads_nothing_heavy():
    assert loaded_by_command("--help") == []


@pytest.mark.parametrize("command", ["list", "show"])
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_reading_commands_load_nothing_heavy(catalog: tuple[Path, str], command: str, as_json: bool):
    folder, session_id = catalog
    arguments = [command, *([session_id] if command == "show" else []), "--catalog", str(folder)]
    assert loaded_by_command(*arguments, *(["--json"] if as_json else [])) == []
