"""An e-mail back-end for the fault scripts: one line per message delivered,
appended to the file FAULTS_MAILBOX names, by whichever process sends it."""

import json
import os

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        with open(os.environ["FAULTS_MAILBOX"], "a", encoding="utf-8") as mailbox:
            for message in email_messages:
                mailbox.write(json.dumps({"to": message.to, "subject": message.subject}) + "\n")
        return len(email_messages)


def delivered(path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as mailbox:
            return [json.loads(line) for line in mailbox if line.strip()]
    except FileNotFoundError:
        return []
