"""Settings read from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/baocao.sqlite3"
OFFICIAL_API_URL = "https://api.telegram.org"
ZALO_API_URL = "https://bot-api.zaloplatforms.com"

# Telegram tokens are "<bot id>:<35 characters>"; the stand-in uses a looser but same-shaped form.
_TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_PLACEHOLDERS = {"", "changeme", "your-token-here", "<token>", "token"}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for a person."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = Field(default=None)
    telegram_api_url: str = OFFICIAL_API_URL
    # Only for printing invitation links when the bot cannot be asked (getMe) for its name.
    telegram_bot_username: str | None = None
    # Zalo beside Telegram (optional): the bot from Zalo Bot Manager, "<bot id>:<secret>".
    zalo_bot_token: SecretStr | None = Field(default=None)
    zalo_api_url: str = ZALO_API_URL
    # Zalo hands an update out once and for all, so a poll in flight is never cut: stopping
    # waits for it to end, at most this long.
    zalo_poll_timeout_s: int = Field(default=10, ge=1, le=60)
    # Webhook mode instead of polling: the public https address Zalo posts updates to, and the
    # secret it sends back in X-Bot-Api-Secret-Token (8 to 256 characters). The bot listens on
    # BAOCAO_HTTP_HOST:BAOCAO_HTTP_PORT behind your reverse proxy, at the address's path.
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = Field(default=None, min_length=8, max_length=256)
    # Links to report files for people on Zalo (which takes no files): the public address of
    # this bot's web server, and the secret that signs the links (16 characters or more).
    baocao_public_url: str | None = None
    baocao_link_secret: SecretStr | None = Field(default=None, min_length=16)
    baocao_http_host: str = "127.0.0.1"
    baocao_http_port: int = Field(default=8080, ge=1, le=65535)
    database_url: str = DEFAULT_DATABASE_URL
    baocao_timezone: str = "Asia/Ho_Chi_Minh"
    baocao_log_level: str = "INFO"
    # Where `baocao draft` and `baocao compile` write without --out. The bot keeps no documents
    # on disk (it sends them; the database can rebuild them), so it does not use this.
    baocao_output_dir: Path = Path("./data/output")
    # The report kinds this bot runs, comma-separated: a shipped kind's code (`baocao kinds`)
    # or a kind's folder (a copy of report_kinds/cchc/ with its own kind.yaml).
    baocao_report_kinds: str = "cchc"
    # The CCHC kind's files, one by one, as before report kinds were folders: its form; a
    # folder with a province's copies of bao_cao_cchc.j2, annex.yaml and layout.yaml; its
    # calendar. Unset means the packaged report_kinds/cchc/ ones.
    baocao_form: Path | None = None
    baocao_templates_dir: Path | None = None
    baocao_calendar: Path | None = None
    # Telegram's limits for the outbox sender: messages per second overall and per chat.
    # With several instances, give each its share of the overall rate.
    baocao_send_rate: float = Field(default=30.0, gt=0, le=1000)
    baocao_chat_rate: float = Field(default=1.0, gt=0, le=100)
    # With several instances: a message one instance took and stopped renewing its claim on
    # (every third of this) for this many seconds (it died) is sent by another.
    baocao_outbox_lease_s: float = Field(default=15.0, ge=5, le=3600)
    # How often the calendar is checked for what is due (seconds).
    baocao_calendar_every_s: float = Field(default=300.0, gt=0, le=86400)
    # A question whose message did not reach the person (a 5xx, a timeout, a crash) is sent
    # again once the walk has been still this many seconds; walks are checked this often.
    baocao_prompt_resend_after_s: float = Field(default=10.0, ge=0, le=3600)
    baocao_prompt_check_every_s: float = Field(default=20.0, gt=0, le=3600)

    @field_validator("baocao_form", "baocao_templates_dir", "baocao_calendar", mode="before")
    @classmethod
    def _empty_form_is_default(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("baocao_report_kinds")
    @classmethod
    def _some_kind(cls, value: str) -> str:
        if not [entry for entry in value.split(",") if entry.strip()]:
            raise ValueError("name at least one report kind, such as cchc")
        return value

    @property
    def report_kinds(self) -> list[str]:
        """BAOCAO_REPORT_KINDS as a list of codes and folders."""
        return [entry.strip() for entry in self.baocao_report_kinds.split(",") if entry.strip()]

    @field_validator("telegram_bot_token", "zalo_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() == "":
            return None
        return value

    @field_validator("telegram_bot_token", "zalo_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value().strip()
        if raw.lower() in _PLACEHOLDERS or not _TOKEN_SHAPE.match(raw):
            # Never echo the value: it may be a real token with a typo.
            raise ValueError("does not look like a bot token (expected <digits>:<letters>)")
        return SecretStr(raw)

    @field_validator("telegram_api_url", "zalo_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) address such as https://api.telegram.org")
        if value.endswith("/bot"):
            # Accept the PTB-style base URL too; we derive /bot and /file/bot ourselves.
            value = value.removesuffix("/bot")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # Plain URLs from hosting panels mean the async driver here.
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            value = "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError("must start with sqlite+aiosqlite:/// or postgresql+asyncpg://")
        return value

    @field_validator("baocao_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("baocao_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.baocao_timezone)

    @property
    def bot_base_url(self) -> str:
        return f"{self.telegram_api_url}/bot"

    @property
    def bot_file_base_url(self) -> str:
        return f"{self.telegram_api_url}/file/bot"

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @field_validator("zalo_webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+/\S*$", value.strip()):
            raise ValueError("must be the full address Zalo posts to, such as https://host/zalo")
        return value.strip()

    @field_validator("baocao_public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value.strip()):
            raise ValueError("must be an http(s) address such as https://bot.example.gov.vn")
        return value.strip().rstrip("/")

    @field_validator("zalo_webhook_secret", "baocao_link_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _addresses_need_their_secrets(self) -> Settings:
        if self.zalo_webhook_url and self.zalo_webhook_secret is None:
            raise ValueError(
                "ZALO_WEBHOOK_SECRET: 8 to 256 characters, needed with ZALO_WEBHOOK_URL"
            )
        if self.baocao_public_url and self.baocao_link_secret is None:
            raise ValueError(
                "BAOCAO_LINK_SECRET: 16 characters or more, needed with BAOCAO_PUBLIC_URL"
            )
        return self

    @property
    def link_secret(self) -> str | None:
        return self.baocao_link_secret.get_secret_value() if self.baocao_link_secret else None

    @property
    def zalo_secret(self) -> str | None:
        return self.zalo_webhook_secret.get_secret_value() if self.zalo_webhook_secret else None

    @property
    def zalo_token(self) -> str | None:
        return self.zalo_bot_token.get_secret_value() if self.zalo_bot_token else None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable line each."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            # A rule across settings names its settings itself.
            problems.append(f"{name}: {message}" if name else message)
        raise ConfigError("; ".join(problems)) from None
