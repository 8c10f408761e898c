"""Scaling out: the topology settings, 503 while a cluster reconfigures, durable intake with
`redis.wait_replicas`, a primary killed while readers post (cluster pass), and the raw coalesced
path on a Sentinel-watched master through a failover (single pass)."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    ClusterDownError,
    ClusterError,
    MasterDownError,
    MovedError,
    ReadOnlyError,
    SlotNotCoveredError,
    TryAgainError,
)

from service.auth.sessions import SessionStore
from service.auth.users import UserStore
from service.comments.ids import shard_of_comment
from service.comments.store import CommentStore
from service.settings import SettingsError, load_settings
from service.store.client import ReplicationUnconfirmed, close, connect
from service.store.keys import Keys
from tests.conftest import TEST_REDIS, direct_client
from tests.redis_cluster import RedisClusterProcess
from tests.redis_server import RedisProcess, free_port, redis_server_binary

ARTICLE = "/api/v1/articles/{}/comments"


# ---------------------------------------------------------------- settings and clients


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"redis.url": "redis://x:1/0", "redis.cluster_nodes": ["a:1"]}, "redis.cluster_nodes"),
        ({"redis.url": "redis://x:1/0", "redis.sentinel_master": "m"}, "redis.sentinel_master"),
        ({"redis.cluster_nodes": ["127.0.0.1"]}, "redis.cluster_nodes"),
        ({"redis.cluster_nodes": ["h:70000"]}, "redis.cluster_nodes"),
        ({"redis.sentinel_master": "m"}, "redis.sentinels"),
        ({"redis.sentinels": ["h:26379"]}, "redis.sentinels"),
        ({"redis.wait_replicas": -1}, "redis.wait_replicas"),
        ({"redis.wait_timeout_ms": 0}, "redis.wait_timeout_ms"),
    ],
)
def test_one_topology_at_a_time_and_errors_name_the_key(overrides, key):
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={}, overrides=overrides)
    assert any(p.startswith(key) for p in caught.value.problems), caught.value.problems


async def test_connect_builds_the_client_of_the_topology():
    cluster = load_settings(environ={}, overrides={"redis.cluster_nodes": ["127.0.0.1:7000"]})
    cluster_client = connect(cluster.redis)
    assert isinstance(cluster_client, RedisCluster)
    await cluster_client.aclose()
    sentinel = load_settings(
        environ={},
        overrides={"redis.sentinel_master": "sd", "redis.sentinels": ["127.0.0.1:26379"]},
    )
    client = connect(sentinel.redis)
    assert type(client.connection_pool).__name__ == "SentinelConnectionPool"
    await close(client)
    env = load_settings(environ={"SD_REDIS_CLUSTER_NODES": "127.0.0.1:7000,127.0.0.1:7001"})
    assert env.redis.cluster_nodes == ["127.0.0.1:7000", "127.0.0.1:7001"]
    assert not env.redis.embedded


# ---------------------------------------------------------------- 503 while reconfiguring


@pytest.mark.parametrize(
    "error",
    [
        ClusterDownError("CLUSTERDOWN The cluster is down"),
        MasterDownError("MASTERDOWN Link with MASTER is down"),
        TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
        MovedError("3999 127.0.0.1:6381"),
        ReadOnlyError("READONLY You can't write against a read only replica."),
        ClusterError("TTL exhausted."),
        SlotNotCoveredError("Slot 3999 is not covered by the cluster."),
        ReplicationUnconfirmed("0 of 1 replicas confirmed the write"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_cluster_reconfiguration_answers_503(client, monkeypatch, error):
    async def failing(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(CommentStore, "public_page", failing)
    resp = await client.get(ARTICLE.format("a-1"))
    assert resp.status == 503, await resp.text()
    assert resp.headers["Retry-After"] == "3"
    assert (await resp.json())["error"]["code"] == "service_unavailable"


# ---------------------------------------------------------------- WAIT after intake


async def test_a_comment_fewer_replicas_confirm_is_not_acknowledged(make_client, settings, reader):
    # The session's single Redis has no replica, each cluster primary has one: 2 is too many.
    strict = settings.replace(**{"redis.wait_replicas": 2, "redis.wait_timeout_ms": 50})
    client = await make_client(strict)
    headers = {**reader.auth, "Idempotency-Key": "k-1"}
    resp = await client.post(ARTICLE.format("durable-1"), json={"body": "hi"}, headers=headers)
    assert resp.status == 503, await resp.text()
    # Stored on the primary all the same: the reader's retry will find it, not post twice.
    mine = await (await client.get("/api/v1/me/comments", headers=reader.auth)).json()
    assert [c["body"] for c in mine["comments"]] == ["hi"]


@pytest.mark.skipif(TEST_REDIS != "cluster", reason="the single test Redis has no replica")
async def test_a_comment_its_replica_confirms_is_acknowledged(make_client, settings, reader):
    durable = settings.replace(**{"redis.wait_replicas": 1, "redis.wait_timeout_ms": 2000})
    client = await make_client(durable)
    for i in range(8):
        resp = await client.post(
            ARTICLE.format(f"durable-{i}"), json={"body": f"hi {i}"}, headers=reader.auth
        )
        assert resp.status == 201, await resp.text()


# ---------------------------------------------------------------- a primary dies (cluster)


async def _reader_token(client: Any, prefix: str) -> str:
    keys = Keys(prefix)
    user = await UserStore(client, keys).upsert("dev", secrets.token_hex(4), "Failover Reader")
    token, _ = await SessionStore(client, keys, 3600).create(user.id)
    return token


@pytest.mark.slow
@pytest.mark.skipif(TEST_REDIS != "cluster", reason="runs in the cluster pass (make test)")
async def test_a_killed_primary_loses_no_acknowledged_comment(
    make_client, settings, tmp_path: Path
):
    """Readers post while a primary is killed (SIGKILL) and its replica takes over. With
    `redis.wait_replicas = 1` every comment answered 201 is on the replica that becomes the
    primary; while the cluster reconfigures the answers are 503, never 500."""
    cluster = RedisClusterProcess(tmp_path / "cluster", node_timeout_ms=1000)
    cluster.start()
    try:
        own = settings.replace(
            **{
                "redis.cluster_nodes": cluster.seeds,
                "redis.wait_replicas": 1,
                "redis.wait_timeout_ms": 1000,
                "redis.socket_timeout": 1.0,
                "redis.connect_timeout": 0.5,
            }
        )
        direct = direct_client(own)
        token = await _reader_token(direct, own.redis.key_prefix)
        client = await make_client(own)
        acknowledged: dict[str, str] = {}  # idempotency key -> comment id
        statuses: dict[int, int] = {}
        counter = itertools.count()
        stop = asyncio.Event()
        recovered_at: list[float] = []

        async def poster() -> None:
            while not stop.is_set():
                n = next(counter)
                key = f"f-{n}"
                resp = await client.post(
                    ARTICLE.format(f"failover-{n % 64}"),
                    json={"body": f"comment {n}"},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                )
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status == 201:
                    acknowledged[key] = (await resp.json())["id"]
                else:
                    await resp.read()
                    await asyncio.sleep(0.05)

        posters = [asyncio.create_task(poster()) for _ in range(6)]
        await asyncio.sleep(1.0)
        before = len(acknowledged)
        victim = cluster.primary_ports()[0]
        cluster.node(victim).kill()
        # The replica is promoted once the others agree the primary failed (node timeout).
        await asyncio.to_thread(cluster.wait_ok, 30.0, exclude={victim})
        recovered_at.append(time.monotonic())
        at_recovery = len(acknowledged)
        deadline = time.monotonic() + 20
        while len(acknowledged) < at_recovery + 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.gather(*posters)

        assert set(statuses) <= {201, 503}, statuses
        assert statuses.get(503, 0) > 0, "the posts never met the failover"
        print(f"failover: {statuses}, {len(acknowledged)} acknowledged")
        assert before > 0 and len(acknowledged) >= at_recovery + 30, statuses
        keys = Keys(own.redis.key_prefix)
        missing = []
        for cid in acknowledged.values():
            shard = shard_of_comment(cid)
            assert shard is not None
            if await direct.hget(keys.comment(shard, cid), "a") is None:
                missing.append(cid)
        assert missing == [], f"{len(missing)} acknowledged comments lost"
        await direct.aclose()
    finally:
        await asyncio.to_thread(cluster.stop)


# ---------------------------------------------------------------- Sentinel (single pass)


async def _sentinel_sees_a_good_replica(watcher: aioredis.Redis, name: str) -> bool:
    replicas = await watcher.execute_command("SENTINEL", "REPLICAS", name)
    for replica in replicas:
        fields = replica
        if not isinstance(replica, dict):  # RESP2: a flat list of names and values
            fields = dict(zip(replica[::2], replica[1::2], strict=True))
        info = {
            (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()
        }
        if info.get("flags") == "slave" and info.get("master-link-status") == "ok":
            return True
    return False


class SentinelProcess:
    def __init__(self, directory: Path, master_port: int) -> None:
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.conf = directory / "sentinel.conf"
        self.conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {directory}\n"
            f"sentinel monitor sd 127.0.0.1 {master_port} 1\n"
            "sentinel down-after-milliseconds sd 1000\n"
            "sentinel failover-timeout sd 5000\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_server_binary(), str(self.conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = RedisProcess(self.conf.parent, port=self.port)
        deadline = time.monotonic() + 10
        while not probe.ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis sentinel did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.mark.slow
@pytest.mark.skipif(TEST_REDIS == "cluster", reason="runs in the single pass")
async def test_sentinel_master_serves_the_coalesced_path_through_a_failover(
    make_client, settings, tmp_path: Path
):
    primary = RedisProcess(tmp_path / "primary")
    primary.start()
    replica = RedisProcess(
        tmp_path / "replica", extra=("--replicaof", "127.0.0.1", str(primary.port))
    )
    replica.start()
    sentinel = SentinelProcess(tmp_path / "sentinel", primary.port)
    sentinel.start()
    direct = watcher = None
    try:
        own = settings.replace(
            **{
                "redis.url": "",
                "redis.sentinel_master": "sd",
                "redis.sentinels": [f"127.0.0.1:{sentinel.port}"],
            }
        )
        direct = connect(own.redis)
        token = await _reader_token(direct, own.redis.key_prefix)
        auth = {"Authorization": f"Bearer {token}"}
        client = await make_client(own)

        async def post(n: int) -> int:
            resp = await client.post(
                ARTICLE.format(f"s-{n % 8}"), json={"body": f"c {n}"}, headers=auth
            )
            await resp.read()
            return resp.status

        # Concurrent posts share round trips on the master's pool (the raw path).
        assert await asyncio.gather(*(post(n) for n in range(40))) == [201] * 40
        watcher = aioredis.Redis(port=sentinel.port)
        # The sentinel learns of the replica from the master's INFO (every few seconds): until it
        # sees a replica with its link up, a failover is refused (NOGOODSLAVE).
        deadline = time.monotonic() + 30
        while not await _sentinel_sees_a_good_replica(watcher, "sd"):
            assert time.monotonic() < deadline, "sentinel never saw the replica"
            await asyncio.sleep(0.1)
        await watcher.execute_command("SENTINEL", "FAILOVER", "sd")
        deadline = time.monotonic() + 30
        while True:
            _, port = await watcher.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "sd")
            if int(port) == replica.port:
                break
            assert time.monotonic() < deadline, "sentinel did not fail over"
            await asyncio.sleep(0.1)
        # The old master is demoted (READONLY): connections to it are dropped and the pool
        # asks the sentinels again. Meanwhile 503, never 500; then posting works again.
        statuses = []
        deadline = time.monotonic() + 30
        while not statuses or statuses[-1] != [201] * 10:
            statuses.append(await asyncio.gather(*(post(n) for n in range(10))))
            assert time.monotonic() < deadline, statuses
            await asyncio.sleep(0.1)
        assert {s for batch in statuses for s in batch} <= {201, 503}, statuses
    finally:
        # Also on failure: a leaked connection is finalised later, inside some other test.
        if watcher is not None:
            await watcher.aclose()
        if direct is not None:
            await close(direct)
        sentinel.stop()
        replica.stop()
        primary.stop()
