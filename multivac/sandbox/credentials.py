"""The sandbox's embedded credentials: what the README's run command hands to Multivac.

They open nothing but the local emulators, so they are safe to ship.
"""

from multivac.sandbox.seed import MULTIVAC_EMAIL

SLACK_BOT_TOKEN = "xoxb-sandbox-0000-multivac"
SLACK_SIGNING_SECRET = "sandbox-slack-signing-secret"
PAGERDUTY_API_TOKEN = "sandbox-pagerduty-api-token"
PAGERDUTY_FROM_EMAIL = MULTIVAC_EMAIL
PAGERDUTY_WEBHOOK_SECRET = "sandbox-pagerduty-webhook-secret"
JIRA_EMAIL = MULTIVAC_EMAIL
JIRA_API_TOKEN = "sandbox-jira-api-token"
