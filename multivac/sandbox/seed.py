"""The seeded organisation: "Tuatara", a follow-the-sun support company (NZ, AU, UK and US).

Emails match across Slack, PagerDuty and Jira, except for two people, as in real life: a
contractor who exists only in PagerDuty and a support engineer who exists only in Slack.
Identifiers are derived from emails so they are stable between runs and known to tests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

DOMAIN = "tuatara.example"
SLACK_TEAM_ID = "T0TUATARA"
SLACK_TEAM_DOMAIN = "tuatara"
SLACK_BOT_USER_ID = "U0MULTIVAC"
SLACK_BOT_ID = "B0MULTIVAC"
JIRA_PROJECT_KEY = "INC"
PAGERDUTY_SUBDOMAIN = "tuatara"

# Follow-the-sun blocks of the on-call day, in UTC hours [start, end).
BLOCKS: dict[str, tuple[int, int]] = {"apac": (21, 29), "emea": (5, 13), "amer": (13, 21)}


def stable_id(prefix: str, key: str, length: int = 7) -> str:
    """A deterministic vendor-looking identifier (`P3K9QXA`, `U04ABCDEF`) derived from `key`."""
    digest = hashlib.sha256(f"{prefix}:{key}".encode()).hexdigest().upper()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    body = "".join(
        alphabet[int(digest[i : i + 2], 16) % len(alphabet)] for i in range(0, 2 * length, 2)
    )
    return prefix + body


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    country: str
    time_zone: str
    title: str
    in_slack: bool = True
    in_pagerduty: bool = True
    in_jira: bool = True

    @property
    def slack_id(self) -> str:
        return stable_id("U0", self.email, 8)

    @property
    def pagerduty_id(self) -> str:
        return stable_id("P", "user:" + self.email, 6)

    @property
    def jira_account_id(self) -> str:
        return "5b10" + hashlib.sha256(self.email.encode()).hexdigest()[:20]

    @property
    def handle(self) -> str:
        return self.email.split("@", 1)[0]


@dataclass(frozen=True)
class Team:
    name: str
    slug: str
    lead: str  # email
    # Follow-the-sun rotation: block -> emails that take turns week by week.
    rotation: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Emails always at escalation level 2 besides the lead (e.g. a contractor DBA).
    secondary: tuple[str, ...] = ()

    @property
    def pagerduty_id(self) -> str:
        return stable_id("P", "team:" + self.slug, 6)

    @property
    def schedule_id(self) -> str:
        return stable_id("P", "schedule:" + self.slug, 6)

    @property
    def escalation_policy_id(self) -> str:
        return stable_id("P", "ep:" + self.slug, 6)

    @property
    def slack_usergroup_id(self) -> str:
        return stable_id("S0", "usergroup:" + self.slug, 8)


@dataclass(frozen=True)
class Service:
    name: str
    team: str  # slug
    customer_facing: bool
    description: str

    @property
    def pagerduty_id(self) -> str:
        return stable_id("P", "service:" + self.name, 6)


def _person(name: str, country: str, tz: str, title: str, **flags: bool) -> Person:
    handle = name.lower().replace("'", "").replace(" ", ".")
    return Person(name, f"{handle}@{DOMAIN}", country, tz, title, **flags)


NZ, AU, UK, US = "NZ", "AU", "UK", "US"
AKL, SYD, MEL, LON = "Pacific/Auckland", "Australia/Sydney", "Australia/Melbourne", "Europe/London"
LAX, NYC = "America/Los_Angeles", "America/New_York"

PEOPLE: tuple[Person, ...] = (
    _person("Aroha Ngata", NZ, AKL, "Senior Site Reliability Engineer"),
    _person("Tama Walker", NZ, AKL, "Bank Feeds Engineer"),
    _person("Mere Parata", NZ, AKL, "Payments Engineer"),
    _person("Sione Latu", NZ, AKL, "Identity Engineer"),
    _person("Hannah Reid", NZ, AKL, "Customer Support Technical Specialist"),
    _person("Oliver Chen", NZ, AKL, "Platform Engineering Manager"),
    _person("Liam O'Brien", AU, SYD, "Bank Feeds Engineer"),
    _person("Priya Natarajan", AU, MEL, "Payments Engineer"),
    _person("Jack Nguyen", AU, SYD, "Identity Engineer"),
    _person("Chloe Martin", AU, MEL, "Customer Support Technical Specialist"),
    _person("Mia Thompson", AU, SYD, "Bank Feeds Team Lead"),
    _person("Noah Williams", AU, SYD, "Site Reliability Engineer"),
    _person("Zoe Anderson", AU, SYD, "Incident Manager"),
    _person("Amelia Hughes", UK, LON, "Site Reliability Engineer"),
    _person("George Patel", UK, LON, "Payments Engineer"),
    _person("Isla Campbell", UK, LON, "Bank Feeds Engineer"),
    _person("Harry Evans", UK, LON, "Identity Engineer"),
    _person("Sophie Turner", UK, LON, "Customer Support Technical Specialist"),
    _person("Fatima Khan", UK, LON, "Payments Team Lead"),
    _person("Ben Carter", UK, LON, "Platform Engineer"),
    _person("Ethan Brooks", US, LAX, "Site Reliability Engineer"),
    _person("Ava Rodriguez", US, NYC, "Payments Engineer"),
    _person("Lucas Kim", US, LAX, "Bank Feeds Engineer"),
    _person("Emma Johnson", US, NYC, "Identity Engineer"),
    _person("Mason Lee", US, LAX, "Customer Support Technical Specialist"),
    _person("Olivia Davis", US, NYC, "Identity Team Lead"),
    _person("Daniel Garcia", US, NYC, "Customer Support Lead"),
    # Only in PagerDuty: a contractor DBA paged for Bank Feeds, with no Slack or Jira account.
    Person(
        "Ravi Shah",
        "ravi.shah@contractors.example",
        "UK",
        LON,
        "Contract Database Administrator",
        in_slack=False,
        in_jira=False,
    ),
    # Only in Slack: a new support engineer not yet on any rotation.
    _person("Grace Liu", US, LAX, "Support Engineer", in_pagerduty=False, in_jira=False),
)

# The account Multivac itself acts as (PagerDuty `From`, Jira API user, Slack bot).
MULTIVAC_EMAIL = f"multivac@{DOMAIN}"
MULTIVAC_BOT = Person("Multivac", MULTIVAC_EMAIL, NZ, AKL, "Incident bot", in_slack=False)


def _email(name: str) -> str:
    return next(p.email for p in PEOPLE if p.name == name)


def _emails(*names: str) -> tuple[str, ...]:
    return tuple(_email(name) for name in names)


TEAMS: tuple[Team, ...] = (
    Team(
        "Platform Services",
        "platform",
        _email("Oliver Chen"),
        {
            "apac": _emails("Aroha Ngata", "Noah Williams"),
            "emea": _emails("Amelia Hughes", "Ben Carter"),
            "amer": _emails("Ethan Brooks"),
        },
    ),
    Team(
        "Payments",
        "payments",
        _email("Fatima Khan"),
        {
            "apac": _emails("Mere Parata", "Priya Natarajan"),
            "emea": _emails("George Patel"),
            "amer": _emails("Ava Rodriguez"),
        },
    ),
    Team(
        "Bank Feeds",
        "bank-feeds",
        _email("Mia Thompson"),
        {
            "apac": _emails("Tama Walker", "Liam O'Brien"),
            "emea": _emails("Isla Campbell"),
            "amer": _emails("Lucas Kim"),
        },
        secondary=("ravi.shah@contractors.example",),
    ),
    Team(
        "Identity",
        "identity",
        _email("Olivia Davis"),
        {
            "apac": _emails("Sione Latu", "Jack Nguyen"),
            "emea": _emails("Harry Evans"),
            "amer": _emails("Emma Johnson"),
        },
    ),
    Team(
        "Customer Support Technical Specialists",
        "cx-specialists",
        _email("Daniel Garcia"),
        {
            "apac": _emails("Hannah Reid", "Chloe Martin"),
            "emea": _emails("Sophie Turner"),
            "amer": _emails("Mason Lee"),
        },
    ),
)

# Slack-only members of teams' user groups (not on any PagerDuty rotation).
EXTRA_USERGROUP_MEMBERS: dict[str, tuple[str, ...]] = {"cx-specialists": _emails("Grace Liu")}
INCIDENT_MANAGER = _email("Zoe Anderson")

SERVICES: tuple[Service, ...] = (
    Service("Bank Feeds", "bank-feeds", True, "Imports bank transactions for customers"),
    Service("Payments Gateway", "payments", True, "Card and direct-debit payments"),
    Service("Login and Identity", "identity", True, "Sign-in, MFA and sessions"),
    Service("Platform Kubernetes", "platform", False, "Shared clusters and ingress"),
    Service("Customer Support Tools", "cx-specialists", False, "Support console and macros"),
)

# PagerDuty priorities, highest first, with the Jira priority they correspond to.
PRIORITIES: tuple[tuple[str, str], ...] = (
    ("P1", "Highest"),
    ("P2", "High"),
    ("P3", "Medium"),
    ("P4", "Low"),
    ("P5", "Lowest"),
)


def priority_id(name: str) -> str:
    return stable_id("P", "priority:" + name, 6)


def person_by_email(email: str) -> Person | None:
    candidates = (*PEOPLE, MULTIVAC_BOT)
    return next((p for p in candidates if p.email.lower() == email.lower()), None)


def team_by_slug(slug: str) -> Team:
    return next(t for t in TEAMS if t.slug == slug)


def block_at(moment: datetime) -> str:
    """The follow-the-sun block on call at `moment` (UTC)."""
    hour = moment.hour
    for block, (start, end) in BLOCKS.items():
        if start <= hour < end or start <= hour + 24 < end:
            return block
    raise AssertionError(f"hour {hour} is in no block")  # the blocks cover the whole day


def on_call(team: Team, moment: datetime) -> str:
    """The email on call for `team` at `moment`: the block's members take turns weekly."""
    members = team.rotation[block_at(moment)]
    week = moment.isocalendar().week
    return members[week % len(members)]
