"""Settings: defaults, file and environment overrides, errors that name the key, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import DEFAULT_CONFIG, SettingsError, describe_settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_load_and_are_production():
    settings = load_settings(environ={})
    assert settings.env == "production"
    assert settings.comments.max_length == 250
    assert settings.sessions.cookie_secure is True


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[server]\nport = 9000\n[site]\narticle_origins = ["https://a.example"]\n')
    settings = load_settings(
        path, environ={"SD_SERVER_PORT": "9100", "SD_REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert settings.server.port == 9100
    assert settings.redis.url == "redis://127.0.0.1:1/0"
    assert settings.site.article_origins == ["https://a.example"]


def test_list_settings_from_the_environment_are_comma_separated():
    settings = load_settings(
        environ={"SD_SITE_ARTICLE_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.site.article_origins == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize(
    ("content", "environ", "names"),
    [
        ("[server]\nport = 'eighty'\n", {}, "server.port"),
        ("[server]\nprot = 8080\n", {}, "server.prot"),
        ("[nosuch]\nx = 1\n", {}, "nosuch.x"),
        ("", {"SD_SERVER_PORT": "abc"}, "server.port"),
        ("", {"SD_SESSIONS_COOKIE_SECURE": "maybe"}, "sessions.cookie_secure"),
        ("[site]\narticle_origins = ['not a url']\n", {}, "site.article_origins"),
        ("[comments]\nmoderation_mode = 'sometimes'\n", {}, "comments.moderation_mode"),
        ("[sessions]\ncookie_secure = false\n", {}, "sessions.cookie_secure"),  # production
        ("env = 'staging'\n", {}, "env"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(tmp_path, content, environ, names):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(SettingsError) as info:
        load_settings(path, environ=environ)
    assert any(p.startswith(names) for p in info.value.problems), info.value.problems


def test_development_allows_plain_http_cookies():
    settings = load_settings(ROOT / "config" / "development.toml", environ={})
    assert settings.development
    assert settings.sessions.cookie_secure is False


def test_default_toml_lists_every_setting_with_its_default():
    import tomllib

    data = tomllib.loads(DEFAULT_CONFIG.read_text())
    for info in describe_settings():
        if info.secret:
            continue
        node = data
        for part in info.key.split("."):
            assert part in node, f"{info.key} is missing from config/default.toml"
            node = node[part]
        assert node == info.default, (
            f"{info.key}: default.toml says {node!r}, the code {info.default!r}"
        )


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text()
    for info in describe_settings():
        assert f"`{info.key}`" in text, f"{info.key} is not in docs/configuration.md"
        assert info.help, f"{info.key} has no help text"


def test_replace_builds_a_valid_copy():
    base = load_settings(environ={})
    changed = base.replace(**{"server.port": 9999})
    assert changed.server.port == 9999 and base.server.port == 8080
