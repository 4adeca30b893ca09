"""What a process remembers of the shared look-up cache: served only while the shared cache
would serve it, per kind of look-up, and bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from multivac.store.cache import Cached, Remembered

HOUR = timedelta(hours=1)


def test_an_entry_is_served_while_fresh_and_not_after() -> None:
    remembered = Remembered()
    now = datetime.now(UTC)
    remembered.put("slack_by_email", "ada@example.com", Cached("U1", now - timedelta(minutes=5)))
    remembered.put("slack_by_email", "bob@example.com", Cached("U2", now - 2 * HOUR))

    found = remembered.get_many("slack_by_email", ["ada@example.com", "bob@example.com"], HOUR)

    assert found == {"ada@example.com": Cached("U1", now - timedelta(minutes=5))}


def test_absences_are_remembered_and_kinds_are_kept_apart() -> None:
    remembered = Remembered()
    now = datetime.now(UTC)
    remembered.put("slack_by_email", "ghost@example.com", Cached(None, now))

    assert remembered.get_many("slack_by_email", ["ghost@example.com"], HOUR) == {
        "ghost@example.com": Cached(None, now)
    }
    assert remembered.get_many("jira_by_email", ["ghost@example.com"], HOUR) == {}


def test_the_least_recently_used_entries_are_forgotten_beyond_its_size() -> None:
    remembered = Remembered(size=2)
    now = datetime.now(UTC)
    for key in ("a", "b", "c"):
        remembered.put("kind", key, Cached(key.upper(), now))

    assert set(remembered.get_many("kind", ["a", "b", "c"], HOUR)) == {"b", "c"}
