"""Adapters read proxies and CA bundles from the environment once, as requests would per call."""

from __future__ import annotations

import pytest
import requests

from multivac.integrations.environment import pin_environment


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return monkeypatch


def test_the_operators_proxy_and_ca_bundle_are_kept(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    clean_environment.setenv("REQUESTS_CA_BUNDLE", "/etc/corp-ca.pem")
    session = requests.Session()

    pin_environment(session, "https://api.pagerduty.com")

    assert session.proxies["https"] == "http://proxy.corp:3128"
    assert session.verify == "/etc/corp-ca.pem"
    assert session.trust_env is False


def test_no_proxy_for_the_service_host_means_no_proxy(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    clean_environment.setenv("NO_PROXY", "example.atlassian.net")
    session = requests.Session()

    pin_environment(session, "https://example.atlassian.net")

    assert "https" not in session.proxies


def test_later_changes_to_the_environment_are_not_read_per_request(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    session = requests.Session()
    pin_environment(session, "https://api.pagerduty.com")
    clean_environment.setenv("HTTPS_PROXY", "http://proxy.corp:3128")

    settings = session.merge_environment_settings(
        "https://api.pagerduty.com/incidents", {}, None, None, None
    )

    assert settings["proxies"] == {}
    assert settings["verify"] is True
