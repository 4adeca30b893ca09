"""Settings come from settings.toml, the environment wins, and a bad one names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from multivac.settings import SettingsError, load_settings

SECRETS = {
    "MULTIVAC_SLACK__BOT_TOKEN": "xoxb-1",
    "MULTIVAC_SLACK__SIGNING_SECRET": "signing",
    "MULTIVAC_PAGERDUTY__API_TOKEN": "pd-token",
    "MULTIVAC_PAGERDUTY__WEBHOOK_SECRETS": "old-secret, new-secret",
    "MULTIVAC_JIRA__API_TOKEN": "jira-token",
}


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return {**SECRETS, "MULTIVAC_SETTINGS": str(path)}


def test_the_shipped_settings_file_loads_with_secrets_from_the_environment() -> None:
    settings = load_settings({**SECRETS, "MULTIVAC_SETTINGS": "settings.toml"})
    assert settings.jira.project == "INC"
    assert settings.slack.api_url == "https://slack.com/api/"
    assert settings.pagerduty.api_url == "https://api.pagerduty.com"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.slack.bot_token.get_secret_value() == "xoxb-1"


def test_environment_overrides_file_with_the_documented_names(tmp_path: Path) -> None:
    env = write(
        tmp_path,
        '[jira]\nurl = "https://a.example"\nemail = "a@x"\nproject = "OPS"\n'
        '[pagerduty]\nfrom_email = "a@x"\n',
    )
    env |= {
        "MULTIVAC_JIRA__PROJECT": "INC",
        "MULTIVAC_DATABASE_URL": "postgresql+psycopg://db/multivac",
        "MULTIVAC_REDIS_URL": "redis://cache:6379/2",
        "MULTIVAC_SLACK__API_URL": "https://slack-gov.com/api/",
        "MULTIVAC_PAGERDUTY__API_URL": "https://api.eu.pagerduty.com",
    }
    settings = load_settings(env)
    assert settings.jira.project == "INC"
    assert settings.jira.url == "https://a.example"
    assert settings.database_url == "postgresql+psycopg://db/multivac"
    assert settings.redis_url == "redis://cache:6379/2"
    assert settings.slack.api_url == "https://slack-gov.com/api/"
    assert settings.pagerduty.api_url == "https://api.eu.pagerduty.com"


def test_webhook_secrets_are_a_comma_separated_list_for_rotation() -> None:
    settings = load_settings({**SECRETS, "MULTIVAC_SETTINGS": "settings.toml"})
    secrets = [s.get_secret_value() for s in settings.pagerduty.webhook_secrets]
    assert secrets == ["old-secret", "new-secret"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"MULTIVAC_SLACK__BOT_TOKEN": None},
            "slack.bot_token (MULTIVAC_SLACK__BOT_TOKEN): missing",
        ),
        (
            {"MULTIVAC_WEB__MAX_BODY_BYTES": "lots"},
            "web.max_body_bytes (MULTIVAC_WEB__MAX_BODY_BYTES): Input should be a valid integer",
        ),
        (
            {"MULTIVAC_PAGERDUTY__WEBHOOK_SECRETS": " , "},
            "pagerduty.webhook_secrets (MULTIVAC_PAGERDUTY__WEBHOOK_SECRETS)",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_key(
    change: dict[str, str | None], message: str
) -> None:
    env = {**SECRETS, "MULTIVAC_SETTINGS": "settings.toml"}
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_secret_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    env = write(tmp_path, '[slack]\nbot_token = "xoxb-leaked"\n')
    with pytest.raises(SettingsError, match=r"slack\.bot_token: secrets come from the environment"):
        load_settings(env)


def test_a_missing_settings_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    env = {**SECRETS, "MULTIVAC_SETTINGS": str(tmp_path / "nope.toml")}
    with pytest.raises(SettingsError, match="MULTIVAC_SETTINGS: no settings file"):
        load_settings(env)


def test_malformed_toml_is_reported_not_raised(tmp_path: Path) -> None:
    env = write(tmp_path, "[jira\n")
    with pytest.raises(SettingsError, match="settings:"):
        load_settings(env)
