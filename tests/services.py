"""Real servers for the PostgreSQL + S3 catalog tests: a PostgreSQL cluster and moto's S3 server.

Both run on 127.0.0.1 from a temp folder and are stopped by their PIDs. PostgreSQL comes from
Debian's ``postgresql`` package (``scripts/install-test-services`` installs it); moto from the
project's dev dependencies. By hand::

    python -m tests.services start /tmp/sessions-services   # prints the variables to export
    python -m tests.services stop /tmp/sessions-services
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

POSTGRES_ROOTS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
POSTGRES_USER = "sessions"
BUCKET = "sessions-tests"
STATE_FILE = "services.json"
# Durability off: a test server, torn down after the run.
POSTGRES_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


class ServiceError(RuntimeError):
    """A test server could not be started."""


@dataclass(frozen=True)
class Services:
    """Running servers: where to reach them and which processes to stop."""

    folder: str
    postgres_port: int
    postgres_pid: int
    s3_port: int
    s3_pid: int

    @property
    def postgres_url(self) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.postgres_port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.postgres_port}/{name}"

    @property
    def environment(self) -> dict[str, str]:
        """The AWS variables a client of the S3 server needs."""
        return {**S3_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}"}


def postgres_bin() -> Path | None:
    """Folder of the installed PostgreSQL server programs, if any."""
    return next((root for root in POSTGRES_ROOTS if (root / "pg_ctl").is_file()), None)


def available() -> bool:
    return postgres_bin() is not None


def start(folder: Path) -> Services:
    """Start PostgreSQL and the S3 server under ``folder``; the bucket exists when this returns."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise ServiceError("PostgreSQL is not installed: run scripts/install-test-services")
    folder.mkdir(parents=True, exist_ok=True)
    postgres_port, s3_port = _free_port(), _free_port()
    postgres_pid = _start_postgres(bin_dir, folder / "postgres", postgres_port)
    s3_pid = _start_s3(folder, s3_port)
    services = Services(str(folder), postgres_port, postgres_pid, s3_port, s3_pid)
    (folder / STATE_FILE).write_text(json.dumps(asdict(services)))
    _create_bucket(services)
    return services


def stop(services: Services) -> None:
    """Stop both servers by PID and wait for them to exit: PostgreSQL with a fast shutdown, the
    in-memory S3 server killed outright (it keeps nothing, and a SIGTERM may be ignored)."""
    for pid, stop_signal in ((services.s3_pid, signal.SIGKILL), (services.postgres_pid, signal.SIGINT)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, stop_signal)
    for pid in (services.s3_pid, services.postgres_pid):
        _wait_for_exit(pid)


@contextlib.contextmanager
def running(folder: Path) -> Iterator[Services]:
    services = start(folder)
    try:
        yield services
    finally:
        stop(services)


def _start_postgres(bin_dir: Path, data: Path, port: int) -> int:
    as_owner = _as_postgres_user(data.parent)
    subprocess.run(
        [
            *as_owner,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            POSTGRES_USER,
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {data.parent} {POSTGRES_OPTIONS}"
    log = data.parent / "postgres.log"
    command = [
        *as_owner,
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(log),
        "-w",
        "start",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise ServiceError(f"PostgreSQL did not start: {result.stderr or log.read_text()}")
    return int((data / "postmaster.pid").read_text().split()[0])


def _as_postgres_user(folder: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the ``postgres`` system user."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam("postgres")
    os.chown(folder, user.pw_uid, user.pw_gid)
    return [shutil.which("runuser") or "/sbin/runuser", "-u", "postgres", "--"]


def _start_s3(folder: Path, port: int) -> int:
    log = (folder / "s3.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceError(f"the S3 server exited at start: see {folder / 's3.log'}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return process.pid
        time.sleep(0.1)
    process.kill()
    raise ServiceError("the S3 server did not listen within 30 s")


def _create_bucket(services: Services) -> None:
    import boto3

    env = services.environment
    boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    ).create_bucket(Bucket=BUCKET)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_exit(pid: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap our own child (the S3 server)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.services start|stop FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1]).absolute()
    if argv[0] == "start":
        services = start(folder)
        for name, value in services.environment.items():
            print(f"export {name}={value}")
        print(f"# PostgreSQL: {services.postgres_url}  (create a database per catalog)")
        print(f"# S3 bucket: s3://{BUCKET}/")
    else:
        stop(Services(**json.loads((folder / STATE_FILE).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
