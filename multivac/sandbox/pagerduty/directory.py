"""The seeded, read-only side of the PagerDuty account: users, teams, schedules, policies.

Who is on call is computed, never stored: a team's schedule follows `seed.on_call` (the
follow-the-sun block at the moment, members taking turns by ISO week), so freezing the sandbox
clock moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from multivac.sandbox import seed

MAX_ONCALL_SHIFTS = 1000  # a 90-day window holds at most ~400 shifts per schedule


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str
    time_zone: str
    job_title: str
    team_ids: tuple[str, ...]


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    slug: str


@dataclass(frozen=True)
class Schedule:
    id: str
    name: str
    team_slug: str


@dataclass(frozen=True)
class EscalationRule:
    level: int
    delay_minutes: int
    schedule_id: str | None = None
    user_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalationPolicy:
    id: str
    name: str
    team_id: str
    rules: tuple[EscalationRule, ...]


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    description: str
    escalation_policy_id: str
    team_id: str


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    description: str
    order: int


@dataclass(frozen=True)
class OnCall:
    """One on-call entry; `start`/`end` are None for users targeted directly (always on call)."""

    user_id: str
    escalation_policy_id: str
    level: int
    schedule_id: str | None
    start: datetime | None
    end: datetime | None


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the sandbox clock is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shift_at(team: seed.Team, moment: datetime) -> tuple[str, datetime, datetime]:
    """The email on call for `team` at `moment` and the span of that person's current shift.

    A shift is the follow-the-sun block cut at ISO-week boundaries: the rotation turns weekly.
    """
    moment = as_utc(moment)
    start_hour, end_hour = seed.BLOCKS[seed.block_at(moment)]
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    block_start = midnight + timedelta(hours=start_hour)
    if moment.hour < start_hour:  # the block started the day before (e.g. 21:00-05:00)
        block_start -= timedelta(days=1)
    block_end = block_start + timedelta(hours=end_hour - start_hour)
    week_start = midnight - timedelta(days=moment.weekday())
    start = max(block_start, week_start)
    end = min(block_end, week_start + timedelta(days=7))
    return seed.on_call(team, moment), start, end


class Directory:
    """Everything about the account that the seed decides; lookups by id, email or name."""

    def __init__(
        self,
        *,
        users: list[User],
        teams: list[Team],
        schedules: list[Schedule],
        policies: list[EscalationPolicy],
        services: list[Service],
        priorities: list[Priority],
    ) -> None:
        self.users = {u.id: u for u in users}
        self.teams = {t.id: t for t in teams}
        self.schedules = {s.id: s for s in schedules}
        self.policies = {p.id: p for p in policies}
        self.services = {s.id: s for s in services}
        self.priorities = {p.id: p for p in priorities}

    @classmethod
    def seeded(cls) -> Directory:
        teams = [Team(t.pagerduty_id, t.name, t.slug) for t in seed.TEAMS]
        return cls(
            users=_seeded_users(),
            teams=teams,
            schedules=[
                Schedule(t.schedule_id, f"{t.name} follow-the-sun", t.slug) for t in seed.TEAMS
            ],
            policies=[_seeded_policy(t) for t in seed.TEAMS],
            services=[
                Service(
                    s.pagerduty_id,
                    s.name,
                    s.description,
                    seed.team_by_slug(s.team).escalation_policy_id,
                    seed.team_by_slug(s.team).pagerduty_id,
                )
                for s in seed.SERVICES
            ],
            priorities=[
                Priority(seed.priority_id(name), name, f"{name} (Jira {jira})", order)
                for order, (name, jira) in enumerate(seed.PRIORITIES, start=1)
            ],
        )

    def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def service(self, id_or_name: str) -> Service | None:
        return self.services.get(id_or_name) or next(
            (s for s in self.services.values() if s.name.lower() == id_or_name.lower()), None
        )

    def priority(self, id_or_name: str) -> Priority | None:
        return self.priorities.get(id_or_name) or next(
            (p for p in self.priorities.values() if p.name.lower() == id_or_name.lower()), None
        )

    def policy(self, id_or_name: str) -> EscalationPolicy | None:
        return self.policies.get(id_or_name) or next(
            (p for p in self.policies.values() if p.name.lower() == id_or_name.lower()), None
        )

    def schedule_users(self, schedule: Schedule) -> list[User]:
        team = seed.team_by_slug(schedule.team_slug)
        emails = dict.fromkeys(e for block in team.rotation.values() for e in block)
        return [u for e in emails if (u := self.user_by_email(e)) is not None]

    def policies_using(self, schedule_id: str) -> list[EscalationPolicy]:
        return [
            p for p in self.policies.values() if any(r.schedule_id == schedule_id for r in p.rules)
        ]

    def oncalls(self, policy: EscalationPolicy, since: datetime, until: datetime) -> list[OnCall]:
        """Every on-call entry of `policy` overlapping [since, until], level by level."""
        entries: list[OnCall] = []
        for rule in policy.rules:
            if rule.schedule_id is not None:
                entries += self._schedule_oncalls(policy, rule, since, until)
            entries += [
                OnCall(uid, policy.id, rule.level, None, None, None) for uid in rule.user_ids
            ]
        return entries

    def level_user_ids(self, policy: EscalationPolicy, level: int, moment: datetime) -> list[str]:
        """Who an incident at `level` of `policy` is assigned to at `moment`."""
        return [o.user_id for o in self.oncalls(policy, moment, moment) if o.level == level]

    def _schedule_oncalls(
        self, policy: EscalationPolicy, rule: EscalationRule, since: datetime, until: datetime
    ) -> list[OnCall]:
        assert rule.schedule_id is not None
        team = seed.team_by_slug(self.schedules[rule.schedule_id].team_slug)
        entries: list[OnCall] = []
        moment, until = as_utc(since), as_utc(until)
        for _ in range(MAX_ONCALL_SHIFTS):
            email, start, end = shift_at(team, moment)
            user = self.user_by_email(email)
            if user is not None:
                entries.append(OnCall(user.id, policy.id, rule.level, rule.schedule_id, start, end))
            if end > until:
                break
            moment = end
        return entries


def _seeded_users() -> list[User]:
    people = [p for p in seed.PEOPLE if p.in_pagerduty] + [seed.MULTIVAC_BOT]
    users = []
    for person in people:
        team_ids = tuple(
            t.pagerduty_id
            for t in seed.TEAMS
            if person.email == t.lead
            or person.email in t.secondary
            or any(person.email in block for block in t.rotation.values())
        )
        users.append(
            User(
                person.pagerduty_id,
                person.name,
                person.email,
                person.time_zone,
                person.title,
                team_ids,
            )
        )
    return users


def _seeded_policy(team: seed.Team) -> EscalationPolicy:
    def pd_id(email: str) -> str:
        person = seed.person_by_email(email)
        assert person is not None, email
        return person.pagerduty_id

    return EscalationPolicy(
        team.escalation_policy_id,
        f"{team.name} escalation",
        team.pagerduty_id,
        (
            EscalationRule(1, 15, schedule_id=team.schedule_id),
            EscalationRule(2, 15, user_ids=tuple(pd_id(e) for e in (team.lead, *team.secondary))),
            EscalationRule(3, 30, user_ids=(pd_id(seed.INCIDENT_MANAGER),)),
        ),
    )
