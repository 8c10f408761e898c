"""A Redis Cluster that the tests start themselves: redis-server processes in cluster mode on
private loopback ports, joined by `redis-cli --cluster create`, stopped at the end."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from tests.redis_server import RedisProcess, free_port, redis_cli_binary


class RedisClusterProcess:
    """`primaries` primaries with `replicas` replicas each, on 127.0.0.1.

    `node_timeout_ms` is how long a primary may be unreachable before its replica takes over;
    `extra` adds redis-server options to every node (persistence, min-replicas-to-write...)."""

    def __init__(
        self,
        directory: Path,
        *,
        primaries: int = 3,
        replicas: int = 1,
        node_timeout_ms: int = 2000,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.directory = directory
        self.primaries = primaries
        self.replicas = replicas
        self.nodes: list[RedisProcess] = []
        for i in range((replicas + 1) * primaries):
            # The bus port is chosen too: the default (port + 10000) may be taken or too high.
            options = (
                "--cluster-enabled", "yes",
                "--cluster-port", str(free_port()),
                "--cluster-config-file", str(directory / f"node-{i}" / "nodes.conf"),
                "--cluster-node-timeout", str(node_timeout_ms),
                *extra,
            )  # fmt: skip
            self.nodes.append(RedisProcess(directory / f"node-{i}", extra=options))

    @property
    def seeds(self) -> list[str]:
        """host:port of every node, as `redis.cluster_nodes` takes them."""
        return [f"127.0.0.1:{node.port}" for node in self.nodes]

    def start(self, timeout: float = 60.0) -> None:
        try:
            for node in self.nodes:
                node.start()
        except BaseException:
            self.stop()  # the nodes that did start
            raise
        create = [
            redis_cli_binary(), "--cluster", "create", *self.seeds,
            "--cluster-replicas", str(self.replicas), "--cluster-yes",
        ]  # fmt: skip
        subprocess.run(
            create,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
        self.wait_ok(timeout)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2)

    def wait_ok(self, timeout: float = 60.0, *, exclude: set[int] = frozenset()) -> None:
        """Until every live node says cluster_state:ok with all slots served, and every replica's
        link to its primary is up."""
        deadline = time.monotonic() + timeout
        while True:
            if self._settled(exclude):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the test cluster did not reach cluster_state:ok")
            time.sleep(0.1)

    def _settled(self, exclude: set[int]) -> bool:
        for node in self.nodes:
            if node.port in exclude:
                continue
            try:
                with self.client(node.port) as c:
                    info = c.cluster("INFO")
                    if info["cluster_state"] != "ok" or int(info["cluster_slots_ok"]) != 16384:
                        return False
                    replication = c.info("replication")
                    if replication["role"] == "slave":
                        if replication.get("master_link_status") != "up":
                            return False
            except redis.RedisError:
                return False
        return True

    def primary_ports(self) -> list[int]:
        ports = []
        for node in self.nodes:
            try:
                with self.client(node.port) as c:
                    if c.info("replication")["role"] == "master":
                        ports.append(node.port)
            except redis.RedisError:
                continue
        return ports

    def node(self, port: int) -> RedisProcess:
        return next(n for n in self.nodes if n.port == port)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
