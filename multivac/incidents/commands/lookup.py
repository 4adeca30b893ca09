"""Finding the incident a command is about and the people it names."""

from __future__ import annotations

from collections.abc import Sequence

from multivac.incidents.text import escape_mrkdwn
from multivac.incidents.war_room.context import Deps
from multivac.incidents.war_room.people import Directory
from multivac.integrations.ports import PagerService, PagerUser
from multivac.store.database import transaction
from multivac.store.incidents import get_incident, incident_by_channel
from multivac.store.models import Incident, Role
from multivac.store.responders import responders

PAGERDUTY_BY_EMAIL = "pagerduty_by_email"
MIN_WORD = 4  # shorter words ("and", "of") match too much
ROLES = (Role.CX, Role.COMMS, Role.SCRIBE)
# As a label ("*Comms:* @x") and in a sentence ("made @x the comms lead").
ROLE_LABELS = {Role.CX: "CX liaison", Role.COMMS: "Comms", Role.SCRIBE: "Scribe"}
ROLE_NAMES = {Role.CX: "CX liaison", Role.COMMS: "comms lead", Role.SCRIBE: "scribe"}


def incident_in_channel(deps: Deps, channel_id: str) -> Incident | None:
    """The incident whose war room is this channel (a detached snapshot), or None."""
    with transaction(deps.sessions) as session:
        incident = incident_by_channel(session, channel_id)
        if incident is not None:
            session.expunge(incident)
        return incident


def load_incident(deps: Deps, incident_id: int) -> Incident:
    """A detached snapshot of the incident; `LookupError` when there is none."""
    with transaction(deps.sessions) as session:
        incident = get_incident(session, incident_id)
        if incident is None:
            raise LookupError(f"incident {incident_id} does not exist")
        session.expunge(incident)
        return incident


def role_holders(deps: Deps, incident_id: int) -> dict[str, str]:
    """Slack user id by role (cx, comms, scribe) of the people holding one; the newest holder of
    a role wins should the store have several."""
    with transaction(deps.sessions) as session:
        rows = responders(session, incident_id)
    return {row.role: row.slack_user_id for row in rows if row.role in ROLES and row.slack_user_id}


def pagerduty_user_by_email(deps: Deps, email: str) -> PagerUser | None:
    """The PagerDuty user with this email, cached like the war room's other user look-ups."""
    key, directory = email.strip().lower(), Directory(deps)
    hit = directory.lookup(PAGERDUTY_BY_EMAIL, [key]).get(key)
    if hit is not None and hit.value:
        user_id, _, name = hit.value.partition("\t")
        return PagerUser(id=user_id, name=name, email=key)
    user = deps.pager.find_user_by_email(email=key)
    if user is not None:
        directory.store(PAGERDUTY_BY_EMAIL, {key: f"{user.id}\t{user.name}"[:255]})
    return user


def find_services(services: Sequence[PagerService], name: str) -> list[PagerService]:
    """Services called `name` (any case); else those whose name contains it; else those sharing
    a word with it ("payments" finds "Payments Gateway")."""
    wanted = " ".join(name.lower().split())
    exact = [s for s in services if s.name.lower() == wanted]
    if exact:
        return exact
    containing = [s for s in services if wanted and wanted in s.name.lower()]
    if containing:
        return containing
    words = {w for w in wanted.split() if len(w) >= MIN_WORD}
    return [s for s in services if words & set(s.name.lower().split())]


def service_names(services: Sequence[PagerService]) -> str:
    return ", ".join(escape_mrkdwn(s.name) for s in sorted(services, key=lambda s: s.name))
