"""A real ``dagster-webserver`` on the code location ``pipelines.definitions`` (what
``dagster dev -m pipelines.definitions`` serves), on 127.0.0.1, for tests that look at the UI:
started with the environment given, asked GraphQL, stopped by its process group."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")
# The code location's jobs and its asset graph: each asset with the assets it depends on.
ASSET_GRAPH = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    jobs { name }
    assetNodes { assetKey { path } dependencyKeys { path } }
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


@contextmanager
def dagster_ui(env: Mapping[str, str], cwd: Path = ROOT) -> Iterator[Callable[[str], dict]]:
    """The UI started with ``env`` added to this process's; yields a GraphQL caller once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [str(WEBSERVER), "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                graphql(port, "{ version }")
                break
            except OSError:
                assert time.monotonic() < deadline, "the webserver did not answer within 120 s"
                time.sleep(1)
        yield lambda query: graphql(port, query)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def asset_graph(ask: Callable[[str], dict]) -> tuple[set[str], dict[str, set[str]]]:
    """The jobs, and each asset's upstream assets, as the UI serves them."""
    (repository,) = ask(ASSET_GRAPH)["data"]["repositoriesOrError"]["nodes"]
    jobs = {job["name"] for job in repository["jobs"]}
    graph = {
        "/".join(node["assetKey"]["path"]): {"/".join(d["path"]) for d in node["dependencyKeys"]}
        for node in repository["assetNodes"]
    }
    return jobs, graph
