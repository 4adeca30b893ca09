"""Celery tasks for Slack: slash commands, button clicks, modal submissions and events."""
