"""Call recording and failure injection shared by the fakes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from multivac.integrations.errors import IntegrationError


@dataclass(frozen=True)
class Call:
    method: str
    args: Mapping[str, Any]


class Recorder:
    def __init__(self, service: str) -> None:
        self.service = service
        self.calls: list[Call] = []
        self._failures: dict[str, list[IntegrationError]] = defaultdict(list)

    def fail(self, method: str, error: IntegrationError, times: int = 1) -> None:
        """Make the next `times` calls of `method` raise `error` (before doing anything)."""
        self._failures[method] += [error] * times

    def calls_to(self, method: str) -> list[Mapping[str, Any]]:
        return [call.args for call in self.calls if call.method == method]

    def _record(self, method: str, **args: Any) -> None:
        self.calls.append(Call(method, args))
        if self._failures[method]:
            raise self._failures[method].pop(0)
