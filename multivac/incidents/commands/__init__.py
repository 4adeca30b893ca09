"""`/incident` commands and the summary message's buttons, run by a worker after Slack's ack.

Each command is a function of `Deps`, the incident id and the acting Slack user id that does the
work through the ports and returns a `Reply` for the person who asked (shown ephemeral). Vendor
steps that fail do not undo the others: the reply says what could not be done.
"""
