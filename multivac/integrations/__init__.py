"""Slack, PagerDuty and Jira behind three ports (`ports`), with typed errors (`errors`), real
adapters (`slack`, `pagerduty`, `jira`) and in-memory fakes (`fakes`). Only this package imports
the vendor SDKs."""
