"""Who is who across PagerDuty, Slack and Jira, matched by email and cached in the database.

Lookups that miss the cache run side by side, so mapping ten responders costs one round trip;
"not found" is cached too (for a shorter time), so an unmappable contractor costs nothing the
next time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from multivac.incidents.war_room.context import Deps
from multivac.integrations.ports import PagerUser
from multivac.store.cache import Cached, cache_get_many, cache_put
from multivac.store.database import transaction

SLACK_BY_EMAIL = "slack_by_email"
JIRA_BY_EMAIL = "jira_by_email"
PAGERDUTY_USER = "pagerduty_user"
NEGATIVE_TTL = timedelta(hours=1)


class Directory:
    """Look-ups through the shared cache (and what this process remembers of it). One instance
    serves one step: it also remembers what it has looked up, so asking twice costs nothing."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._ttl = timedelta(seconds=deps.settings.incidents.user_cache_ttl_seconds)
        self._pagerduty_users: dict[str, PagerUser] = {}

    def slack_ids(self, emails: Iterable[str]) -> dict[str, str | None]:
        """Slack user id by (lower-cased) email; None for people with no Slack account."""
        chat = self._deps.chat
        return self._cached(SLACK_BY_EMAIL, emails, lambda e: chat.lookup_user_by_email(email=e))

    def jira_account(self, email: str) -> str | None:
        tracker = self._deps.tracker
        found = self._cached(JIRA_BY_EMAIL, [email], lambda e: tracker.find_account_id(email=e))
        return found[email.lower()]

    def pagerduty_user(self, user_id: str) -> PagerUser:
        if user_id not in self._pagerduty_users:
            self._pagerduty_users[user_id] = self._pagerduty_user(user_id)
        return self._pagerduty_users[user_id]

    def _pagerduty_user(self, user_id: str) -> PagerUser:
        hit = self.lookup(PAGERDUTY_USER, [user_id]).get(user_id)
        if hit is not None and hit.value:
            email, _, name = hit.value.partition("\t")
            return PagerUser(id=user_id, name=name, email=email)
        user = self._deps.pager.user(user_id=user_id)
        self.remember_pagerduty_user(user)
        return user

    def remember_pagerduty_user(self, user: PagerUser) -> None:
        self.store(PAGERDUTY_USER, {user.id: f"{user.email}\t{user.name}"})

    def _cached(
        self, kind: str, keys: Iterable[str], fetch: Callable[[str], str | None]
    ) -> dict[str, str | None]:
        wanted = sorted({key.lower() for key in keys})
        found: dict[str, str | None] = {}
        for key, hit in self.lookup(kind, wanted).items():
            if hit.value is not None or _fresh_absence(hit.fetched_at):
                found[key] = hit.value
        missing = [key for key in wanted if key not in found]
        if missing:
            # On the process's call threads; not called from one of them, so never waits on one.
            lookups = self._deps.threads.calls.map(fetch, missing)
            fetched = dict(zip(missing, lookups, strict=True))
            self.store(kind, fetched)
            found.update(fetched)
        return found

    def lookup(self, kind: str, keys: list[str]) -> dict[str, Cached]:
        """Fresh entries for `keys`: remembered, else read from the shared cache (and
        remembered)."""
        found = self._deps.remembered.get_many(kind, keys, self._ttl)
        unseen = [key for key in keys if key not in found]
        if unseen:
            with transaction(self._deps.sessions) as session:
                read = cache_get_many(session, kind, unseen, self._ttl)
            for key, hit in read.items():
                self._deps.remembered.put(kind, key, hit)
            found.update(read)
        return found

    def store(self, kind: str, values: dict[str, str | None]) -> None:
        """Put `values` in the shared cache, fetched now, and remember them."""
        now = datetime.now(UTC)
        with transaction(self._deps.sessions) as session:
            for key, value in values.items():
                cache_put(session, kind, key, value, fetched_at=now)
        for key, value in values.items():
            self._deps.remembered.put(kind, key, Cached(value, now))


def _fresh_absence(fetched_at: datetime) -> bool:
    return datetime.now(UTC) - fetched_at < NEGATIVE_TTL
