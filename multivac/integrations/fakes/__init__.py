"""In-memory `Chat`, `Pager` and `Tracker` for unit tests: deterministic, recording every call.

They keep the ports' contracts (the contract tests run against them and the real adapters alike):
taken or invalid channel names, `NotFound` for unknown ids, idempotent reactions/pins/archive,
invites in batches of 100 with per-user refusals, single-use trigger ids, exact-email lookups.
`fail(method, error)` makes the next call of `method` raise `error`, to rehearse outages.
"""

from typing import TYPE_CHECKING

from multivac.integrations.fakes.chat import FakeChat, FakeMessage
from multivac.integrations.fakes.pager import FakePager
from multivac.integrations.fakes.recorder import Call, Recorder
from multivac.integrations.fakes.tracker import FakeTracker

__all__ = ["Call", "FakeChat", "FakeMessage", "FakePager", "FakeTracker", "Recorder"]

if TYPE_CHECKING:
    from multivac.integrations.ports import Chat, Pager, Tracker

    def _conforms() -> tuple[Chat, Pager, Tracker]:  # mypy checks the fakes against the ports
        return FakeChat(), FakePager(), FakeTracker()
