"""The sandbox page: Slack channels, Jira issues and PagerDuty incidents as a person reads them."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

LINK = re.compile(r"&lt;(?P<target>[^|&]+?)(?:\|(?P<label>.+?))?&gt;")
BOLD = re.compile(r"(?<![\w*])\*(?P<text>[^*\n]+)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?P<text>[^_\n]+)_(?![\w_])")
CODE = re.compile(r"`(?P<text>[^`\n]+)`")


def mrkdwn_to_html(text: str, names: dict[str, str]) -> Markup:
    """Slack mrkdwn as safe HTML: links, mentions, *bold*, _italic_, `code`, line breaks.

    The text is escaped first, so anything Slack would show literally stays literal here.
    """
    escaped = str(escape(text))

    def link(match: re.Match[str]) -> str:
        target, label = match["target"], match["label"]
        if target.startswith("@"):
            return f'<span class="mention">@{escape(names.get(target[1:], target[1:]))}</span>'
        if target.startswith("#"):
            return f'<span class="mention">#{escape(label or target[1:])}</span>'
        if target.startswith("!"):
            return f'<span class="mention">@{escape(label or target[1:])}</span>'
        if target.startswith(("http://", "https://", "mailto:")):
            return f'<a href="{target}" target="_blank">{label or target}</a>'
        return label or target

    html = LINK.sub(link, escaped)
    html = BOLD.sub(r"<b>\g<text></b>", html)
    html = ITALIC.sub(r"<i>\g<text></i>", html)
    html = CODE.sub(r"<code>\g<text></code>", html)
    return Markup(html.replace("\n", "<br>"))  # noqa: S704 - built from escaped text above


def block_texts(block: dict[str, Any]) -> list[str]:
    """The readable texts of a Block Kit block (section, header, context, fields)."""
    texts: list[str] = []
    text = block.get("text")
    if isinstance(text, dict) and text.get("text"):
        texts.append(str(text["text"]))
    for item in (*block.get("fields", ()), *block.get("elements", ())):
        if isinstance(item, dict) and item.get("type") in ("mrkdwn", "plain_text"):
            texts.append(str(item.get("text", "")))
    return texts


def block_buttons(block: dict[str, Any]) -> list[str]:
    return [
        str(element.get("text", {}).get("text", element.get("action_id", "button")))
        for element in block.get("elements", ())
        if isinstance(element, dict) and element.get("type") == "button"
    ]
