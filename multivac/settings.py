"""Typed settings: `settings.toml` overridden by `MULTIVAC_<SECTION>__<KEY>` environment variables.

Secrets are read from the environment only; a secret written into the settings file is refused so
that it never ends up in version control by accident.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "MULTIVAC_"
SETTINGS_PATH_VARIABLE = "MULTIVAC_SETTINGS"
DEFAULT_SETTINGS_PATH = "settings.toml"

# Keys that must never be read from the settings file (section, key).
SECRET_KEYS: frozenset[tuple[str, str]] = frozenset(
    {
        ("slack", "bot_token"),
        ("slack", "signing_secret"),
        ("pagerduty", "api_token"),
        ("pagerduty", "webhook_secrets"),
        ("jira", "api_token"),
    }
)


class SettingsError(Exception):
    """A setting is missing or invalid; `str()` is one line naming the key."""


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class SlackSettings(BaseModel):
    bot_token: SecretStr
    signing_secret: SecretStr
    api_url: str = "https://slack.com/api/"
    timeout_seconds: float = Field(default=10.0, gt=0)


class PagerDutySettings(BaseModel):
    api_token: SecretStr
    from_email: str
    api_url: str = "https://api.pagerduty.com"
    webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(min_length=1)
    timeout_seconds: float = Field(default=10.0, gt=0)

    _split = field_validator("webhook_secrets", mode="before")(_split_commas)


class JiraSettings(BaseModel):
    url: str
    email: str
    api_token: SecretStr
    project: str = Field(min_length=1)
    issue_type: str = "Incident"
    timeout_seconds: float = Field(default=10.0, gt=0)


class WebSettings(BaseModel):
    public_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = Field(default=256 * 1024, gt=0)


CHANNEL_NAME_FIELDS = frozenset({"date", "number", "title", "service", "severity"})


class DeclarationRules(BaseModel):
    """Which PagerDuty incidents open a war room by themselves: any listed urgency OR priority,
    on a listed service (an empty service list means every service)."""

    urgencies: list[str] = ["high"]
    priorities: list[str] = ["P1", "P2"]
    services: list[str] = []


class ServiceRoute(BaseModel):
    """Per-service routing; `service` is a PagerDuty service name or id."""

    service: str
    jira_project: str | None = None
    jira_issue_type: str | None = None
    invite_usergroups: list[str] = []  # Slack user group ids, e.g. the CX technical specialists
    invite_emails: list[str] = []
    private: bool = False


class IncidentSettings(BaseModel):
    channel_name_template: str = "inc-{date}-{number}-{title}"
    auto_declare: DeclarationRules = DeclarationRules()
    severity_by_priority: dict[str, str] = {
        "P1": "SEV1",
        "P2": "SEV2",
        "P3": "SEV3",
        "P4": "SEV4",
        "P5": "SEV4",
    }
    severity_by_urgency: dict[str, str] = {"high": "SEV2", "low": "SEV4"}
    lead_fallback: Literal["first_oncall", "none"] = "first_oncall"
    invite_escalation_levels: int = Field(default=2, ge=1)  # on-calls at levels 1..N are invited
    jira_priority_by_severity: dict[str, str] = {
        "SEV1": "Highest",
        "SEV2": "High",
        "SEV3": "Medium",
        "SEV4": "Low",
    }
    routes: list[ServiceRoute] = []
    user_cache_ttl_seconds: int = Field(default=86400, ge=0)
    # A resolved incident's channel is archived this long after resolution (reopening cancels).
    archive_after_hours: float = Field(default=24.0, ge=0)
    # Incidents of these severities with no `/incident update` for this long nudge their lead.
    update_reminder_minutes: float = Field(default=30.0, gt=0)
    reminder_severities: list[str] = ["SEV1", "SEV2"]

    @field_validator("channel_name_template")
    @classmethod
    def _known_fields(cls, template: str) -> str:
        used = {name for _, name, _, _ in Formatter().parse(template) if name}
        unknown = used - CHANNEL_NAME_FIELDS
        if unknown:
            allowed = ", ".join(sorted(CHANNEL_NAME_FIELDS))
            raise ValueError(f"unknown field {sorted(unknown)[0]!r}; use {allowed}")
        return template

    def route_for(self, service_id: str, service_name: str) -> ServiceRoute:
        wanted = {service_id.lower(), service_name.lower()}
        found = (r for r in self.routes if r.service.lower() in wanted)
        return next(found, ServiceRoute(service=service_name))


EVERYONE: Literal["everyone"] = "everyone"
# "everyone", or Slack user group ids (`S…`); from the environment: "everyone" or "S1,S2".
Audience = Annotated[Literal["everyone"] | list[str], NoDecode]


def _everyone_or_groups(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() == EVERYONE:
        return EVERYONE
    return _split_commas(value)


class AuthorizationSettings(BaseModel):
    """Who may do what from Slack. The incident lead and the people holding a role (cx, comms,
    scribe) may always resolve and change the severity; the user groups listed add to them."""

    declare: Audience = EVERYONE
    resolve: Audience = []
    severity: Audience = []
    usergroup_cache_seconds: int = Field(default=300, ge=0)

    _audiences = field_validator("declare", "resolve", "severity", mode="before")(
        _everyone_or_groups
    )


class WorkerSettings(BaseModel):
    # Longer than the longest retry delay, so that Redis never redelivers a task still waiting.
    visibility_timeout_seconds: int = Field(default=7200, gt=0)
    max_retry_delay_seconds: int = Field(default=600, gt=0)
    reconcile_every_seconds: float = Field(default=30.0, gt=0)
    housekeeping_every_seconds: float = Field(default=60.0, gt=0)


class _MappingEnvSource(EnvSettingsSource):
    """The environment source, reading a given mapping instead of `os.environ`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {key.lower(): value for key, value in self._environ.items()}


class Settings(BaseSettings):
    """Everything Multivac needs to run. Build it with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        case_sensitive=False,
    )

    database_url: str = "sqlite:///var/multivac.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    slack: SlackSettings
    pagerduty: PagerDutySettings
    jira: JiraSettings
    web: WebSettings = WebSettings()
    worker: WorkerSettings = WorkerSettings()
    incidents: IncidentSettings = IncidentSettings()
    authorization: AuthorizationSettings = AuthorizationSettings()


def _settings_class(toml_path: Path | None, environ: Mapping[str, str]) -> type[Settings]:
    """A `Settings` subclass whose sources are this environment and this file, in that order."""

    class _Sourced(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [
                init_settings,
                _MappingEnvSource(settings_cls, environ),
            ]
            if toml_path is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
            return tuple(sources)

    return _Sourced


def _refuse_secrets_in_file(path: Path) -> None:
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    for section, key in sorted(SECRET_KEYS):
        if key in document.get(section, {}):
            variable = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
            raise SettingsError(
                f"{section}.{key}: secrets come from the environment only; "
                f"remove it from {path} and set {variable}"
            )


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    dotted = ".".join(location)
    variable = ENV_PREFIX + "__".join(part.upper() for part in location[:2])
    problem = "missing" if first["type"] == "missing" else first["msg"]
    return f"{dotted} ({variable}): {problem}"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the settings file named by `MULTIVAC_SETTINGS`, then the environment over it.

    `environ` defaults to `os.environ`; `overrides` win over both (tests). Raises `SettingsError`
    with a single line that names the offending key.
    """
    env = os.environ if environ is None else environ
    path = Path(env.get(SETTINGS_PATH_VARIABLE, DEFAULT_SETTINGS_PATH))
    if SETTINGS_PATH_VARIABLE in env and not path.is_file():
        raise SettingsError(f"{SETTINGS_PATH_VARIABLE}: no settings file at {path}")
    toml_path = path if path.is_file() else None
    try:
        if toml_path is not None:
            _refuse_secrets_in_file(toml_path)
        return _settings_class(toml_path, env)(**overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
    except (ValueError, OSError) as error:  # malformed TOML, unreadable file
        raise SettingsError(f"settings: {error}") from None
