"""Real database servers for the engine tests and the benchmarks: PostgreSQL and Spark Connect.

``PostgresServer`` initialises a cluster with the machine's PostgreSQL binaries (``initdb``,
``pg_ctl`` on PATH) in a temporary folder and starts it on a free port of 127.0.0.1. PostgreSQL
refuses to run as root, so under root (CI) both run as the image's ``postgres`` user
(``runuser``). ``SparkConnectServer`` starts PySpark's own Spark Connect server (local mode,
Hive catalogue in a Derby database of the folder), which the orchestrator and dbt-spark
(``method: session``) both reach over ``sc://127.0.0.1:<port>``. Both stop in ``stop()``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

POSTGRES_USER = "postgres"


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on (now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    """``command`` run as the postgres user when this process is root (initdb refuses root)."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", POSTGRES_USER, "--", *command]


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster in ``folder``, listening on 127.0.0.1:``port``."""

    folder: Path
    port: int = field(default_factory=free_port)
    user: str = "openspm"
    password: str = "openspm-test"
    database: str = "openspm"

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def start(self) -> PostgresServer:
        if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not on PATH")
        self.folder.mkdir(parents=True, exist_ok=True)
        secret = self.folder / "pwfile"
        secret.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.folder, POSTGRES_USER)
            shutil.chown(secret, POSTGRES_USER)
        subprocess.run(
            _as_postgres(
                [
                    "initdb", "-D", str(self.data_dir), "-U", self.user, "--pwfile", str(secret),
                    "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=50 -c shared_buffers=128MB -c TimeZone=UTC"
        )
        subprocess.run(
            _as_postgres(
                ["pg_ctl", "-D", str(self.data_dir), "-l", str(self.folder / "server.log"),
                 "-o", options, "-w", "-t", "60", "start"]
            ),
            check=True,
            capture_output=True,
        )  # fmt: skip
        self.create_database(self.database)
        return self

    def create_database(self, name: str) -> str:
        """A new empty database of the server (its name)."""
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                connection = psycopg2.connect(
                    host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                    dbname="postgres",
                )  # fmt: skip
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        connection.close()
        return name

    def stop(self) -> None:
        if self.data_dir.exists():
            subprocess.run(
                _as_postgres(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"]),
                check=False,
                capture_output=True,
            )

    def environment(self, prefix: str = "OPENSPM_TEST_PG") -> dict[str, str]:
        """The server's coordinates as environment variables (the password's reference)."""
        return {f"{prefix}_PASSWORD": self.password}


def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


@dataclass
class SparkConnectServer:
    """PySpark's Spark Connect server in local mode, its catalogue and tables in ``folder``."""

    folder: Path
    port: int = field(default_factory=free_port)
    cores: int = 2
    memory: str = "2g"
    process: subprocess.Popen | None = None

    @property
    def remote(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> SparkConnectServer:
        home = _spark_home()
        self.folder.mkdir(parents=True, exist_ok=True)
        warehouse = self.folder / "warehouse"
        conf = {
            "spark.master": f"local[{self.cores}]",
            "spark.driver.memory": self.memory,
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.sql.catalogImplementation": "hive",
            "spark.sql.warehouse.dir": str(warehouse),
            "spark.hadoop.javax.jdo.option.ConnectionURL":
                f"jdbc:derby:;databaseName={self.folder / 'metastore_db'};create=true",
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.folder}",
            "spark.sql.shuffle.partitions": str(max(2, self.cores * 2)),
            "spark.ui.enabled": "false",
            "spark.sql.session.timeZone": "UTC",
        }  # fmt: skip
        command = [str(home / "bin" / "spark-submit"),
                   "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                   "--name", "openspm-test-connect"]  # fmt: skip
        for key, value in conf.items():
            command += ["--conf", f"{key}={value}"]
        command.append("spark-internal")
        env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(self.folder)}
        log = (self.folder / "server.log").open("w")
        self.process = subprocess.Popen(
            command, cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Spark Connect server stopped; see {log.name}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Spark Connect server did not listen within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
