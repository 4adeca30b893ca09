"""Web API arguments as slack_sdk sends them: query string, form fields and JSON body merged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from multivac.sandbox.slack.state import Json, SlackError


@dataclass(frozen=True)
class Args:
    values: dict[str, Any]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value).strip()

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def integer(self, name: str, default: int) -> int:
        try:
            return int(self.values.get(name, default))
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None

    def id_list(self, name: str) -> list[str]:
        """A comma-separated list (or a JSON list) of ids, blanks dropped."""
        value = self.values.get(name)
        items = value if isinstance(value, list) else str(value or "").split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    def blocks(self, name: str = "blocks") -> list[Json]:
        """Blocks given as a JSON list or a JSON string; `invalid_blocks` when malformed."""
        value = self.json(name, "invalid_blocks")
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > 50:
            raise SlackError("invalid_blocks")
        if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in value):
            raise SlackError("invalid_blocks")
        return value

    def json(self, name: str, error: str = "invalid_arguments") -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error) from None
