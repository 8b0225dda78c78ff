from __future__ import annotations

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings
from tests.cli import run_baocao

TOKEN = "123456789:TEST-fake-token-for-tests_0123456789ab"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "BAOCAO_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults_are_the_embedded_setup() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.bot_base_url == "https://api.telegram.org/bot"
    assert settings.bot_file_base_url == "https://api.telegram.org/file/bot"
    assert str(settings.timezone) == "Asia/Ho_Chi_Minh"


def test_api_url_is_configurable_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/bot/")
    assert load_settings().bot_base_url == "http://127.0.0.1:8081/bot"


def test_plain_postgres_url_gets_the_async_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    assert load_settings().database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def test_token_is_secret_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TELEGRAM_BOT_TOKEN", "changeme", "TELEGRAM_BOT_TOKEN: does not look like a bot token"),
        ("TELEGRAM_BOT_TOKEN", "123:short", "TELEGRAM_BOT_TOKEN: does not look like a bot token"),
        ("TELEGRAM_API_URL", "api.telegram.org", "TELEGRAM_API_URL: must be an http(s) address"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with"),
        ("BAOCAO_TIMEZONE", "Mars/Olympus", "BAOCAO_TIMEZONE: unknown time zone"),
        ("ZALO_BOT_TOKEN", "not-a-token", "ZALO_BOT_TOKEN: does not look like a bot token"),
        ("ZALO_API_URL", "bot-api.zaloplatforms.com", "ZALO_API_URL: must be an http(s)"),
        ("ZALO_WEBHOOK_URL", "bot.example.vn/zalo", "ZALO_WEBHOOK_URL: must be the full address"),
        (
            "ZALO_WEBHOOK_URL",
            "https://bot.example.vn/zalo",
            "ZALO_WEBHOOK_SECRET: 8 to 256 characters, needed",
        ),
        ("BAOCAO_PUBLIC_URL", "bot.example.vn", "BAOCAO_PUBLIC_URL: must be an http(s)"),
        ("BAOCAO_PUBLIC_URL", "https://bot.example.vn", "BAOCAO_LINK_SECRET: 16 characters"),
    ],
)
def test_bad_values_are_one_readable_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(expected)
    assert "\n" not in message
    if name == "TELEGRAM_BOT_TOKEN":
        assert value not in message  # a mistyped real token is never echoed


def test_cli_prints_one_line_and_exits_2_on_bad_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_baocao(
        "db",
        "upgrade",
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "mysql://nope", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DATABASE_URL: must start with sqlite+aiosqlite:/// "
        "or postgresql+asyncpg://"
    ]
    assert "Traceback" not in result.stderr


def test_zalo_token_and_webhook_secret_are_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZALO_BOT_TOKEN", "7000000001:zalo-secret-part-xyz")
    monkeypatch.setenv("ZALO_WEBHOOK_URL", "https://bot.example.vn/zalo/webhook")
    monkeypatch.setenv("ZALO_WEBHOOK_SECRET", "webhook-secret-123")
    settings = load_settings()
    assert settings.zalo_token == "7000000001:zalo-secret-part-xyz"
    assert settings.zalo_secret == "webhook-secret-123"
    assert "zalo-secret-part" not in repr(settings) and "webhook-secret" not in repr(settings)
