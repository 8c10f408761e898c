"""`serve --workers N`: N worker processes sharing one listening socket, supervised.

The supervisor binds the port once and hands the socket to each worker (`python -m service
worker --fd N`), so connections waiting in the accept queue are served by the surviving workers
when one dies, and a dead worker is replaced. Workers are stateless over Redis: sessions, rate
limits, idempotency keys and the queue all live there.

On SIGTERM or SIGINT the supervisor stops replacing workers and passes SIGTERM on; each worker
stops accepting, finishes its in-flight requests (bounded by `server.shutdown_timeout`) and
closes Redis. Stragglers are killed after that bound, and the embedded Redis (when used) is
stopped last by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .settings import Settings

log = logging.getLogger("service.workers")

# A worker that dies sooner than this after its start is crashing, not being killed: back off.
_MIN_LIFETIME = 2.0
_POLL_SECONDS = 0.2


def listening_socket(host: str, port: int, backlog: int = 2048) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=backlog, reuse_port=False)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        workers: int,
        config: Path | None,
        env: dict[str, str],
    ) -> None:
        self.settings = settings
        self.count = workers
        self.config = config
        self.env = env
        self.processes: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
        self.stopping = False
        self.sock: socket.socket | None = None
        self.metrics_dir = Path(settings.redis.data_dir).resolve() / f"metrics-{os.getpid()}"

    def _spawn(self, slot: int) -> None:
        assert self.sock is not None
        args = [sys.executable, "-m", "service", "worker", "--fd", str(self.sock.fileno())]
        if self.config:
            args += ["--config", str(self.config)]
        env = {
            **self.env,
            "SD_WORKER_SLOT": str(slot),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
        }
        process = subprocess.Popen(args, pass_fds=(self.sock.fileno(),), env=env)  # noqa: S603
        self.processes[slot] = (process, time.monotonic())
        log.info("worker started", extra={"slot": slot, "pid": process.pid})

    def _stop_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def run(self) -> int:
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.metrics_dir.mkdir(parents=True)
        self.sock = listening_socket(self.settings.server.host, self.settings.server.port)
        previous = {
            sig: signal.signal(sig, self._stop_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in range(self.count):
                self._spawn(slot)
            log.info(
                "serving",
                extra={
                    "url": f"http://{self.settings.server.host}:{self.settings.server.port}",
                    "workers": self.count,
                },
            )
            while not self.stopping:
                self._replace_dead()
                time.sleep(_POLL_SECONDS)
            return self._shutdown()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.sock is not None:
                self.sock.close()
            shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def _replace_dead(self) -> None:
        for slot, (process, started) in list(self.processes.items()):
            code = process.poll()
            if code is None:
                continue
            log.warning("worker exited", extra={"slot": slot, "pid": process.pid, "code": code})
            _mark_metrics_dead(process.pid, self.metrics_dir)
            if time.monotonic() - started < _MIN_LIFETIME:
                time.sleep(_MIN_LIFETIME)
            if not self.stopping:
                self._spawn(slot)

    def _shutdown(self) -> int:
        log.info("stopping workers")
        if self.sock is not None:
            self.sock.close()  # the workers keep their copies until they finish
            self.sock = None
        for process, _ in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.settings.server.shutdown_timeout + 5
        codes = []
        for process, _ in self.processes.values():
            try:
                codes.append(process.wait(max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                log.warning("worker did not stop in time; killing it", extra={"pid": process.pid})
                process.kill()
                codes.append(process.wait())
            _mark_metrics_dead(process.pid, self.metrics_dir)
        # A worker still starting up (importing, before it installs a handler) dies of the
        # SIGTERM itself: it had served nothing, so that is a clean stop too.
        return 0 if all(code in (0, -signal.SIGTERM) for code in codes) else 1


def _mark_metrics_dead(pid: int, directory: Path) -> None:
    """Let the live-gauge files of a dead worker go (multi-process Prometheus metrics)."""
    with contextlib.suppress(ImportError):
        from prometheus_client import multiprocess

        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
