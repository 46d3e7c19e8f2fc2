"""The Dagster UI starts as the README says: a real ``dagster-webserver`` on the code location
``pipelines.definitions`` (what ``dagster dev -m pipelines.definitions`` serves), on 127.0.0.1,
answering GraphQL with the fleet job and its assets; stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a web server

ROOT = Path(__file__).resolve().parents[2]
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    jobs { name }
    assetNodes { assetKey { path } }
} } } }
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_dagster_ui_serves_the_fleet_job_and_its_assets(tmp_path: Path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "SESSIONS_CATALOG": str(tmp_path / "catalog")}
    server = subprocess.Popen(
        [str(WEBSERVER), "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                answer = graphql(port, QUERY)
                break
            except OSError:
                assert time.monotonic() < deadline, "the webserver did not answer within 120 s"
                time.sleep(1)
        (repository,) = answer["data"]["repositoriesOrError"]["nodes"]
        assert "fleet_job" in {job["name"] for job in repository["jobs"]}
        assets = {"/".join(node["assetKey"]["path"]) for node in repository["assetNodes"]}
        assert {"dataset_files", "device_metadata", "topic_extents"} <= assets
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
