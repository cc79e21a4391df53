"""The e-mail outbox.

A notification is written to `OutboundEmail` inside the caller's transaction,
so it exists exactly when the change that caused it exists. After commit a
Celery task sends it; if the broker cannot be reached the row simply stays
pending and the periodic `flush_outbox` task sends it later.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation

from initiatives.models import OutboundEmail, Person

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def email_queue(
    *, to: list[str], template: str, context: dict, language: str | None = None, reply_to: str = ""
) -> list[OutboundEmail]:
    """Render `templates/emails/<template>_subject.txt` and `_body.txt` and queue them.

    Each recipient reads the e-mail in their own language (`recipient_languages`)
    unless `language` is given: one message per language. `reply_to`, when
    given, is where a plain reply goes (a visitor's address, services.contact).
    Returns the queued messages, none when there is nobody to write to.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return []
    languages = dict.fromkeys(recipients, language) if language else recipient_languages(recipients)
    context = {**context, "site_url": settings.SITE_URL}
    emails = []
    for code in sorted(set(languages.values())):
        group = [address for address in recipients if languages[address] == code]
        with translation.override(code):
            subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
            body = render_to_string(f"emails/{template}_body.txt", context)
        emails.append(OutboundEmail.objects.create(to=", ".join(group), reply_to=reply_to, subject=subject, body=body))
    for email in emails:
        transaction.on_commit(lambda pk=email.pk: _dispatch(pk))
    return emails


def recipient_languages(addresses: list[str]) -> dict[str, str]:
    """The language each address is written to in: that of the person whose
    e-mail or login it is (`Person.language`), else the site's default."""
    wanted = {address.lower(): address for address in addresses}
    found = {}
    people = (
        Person.objects.annotate(address=Lower("email"), login_address=Lower("user__email"))
        .filter(Q(address__in=wanted) | Q(login_address__in=wanted))
        .values_list("address", "login_address", "language")
    )
    for address, login_address, language in people:
        for key in (address, login_address):
            if key in wanted:
                found[wanted[key]] = language
    supported = {code for code, _name in settings.LANGUAGES}
    return {
        address: found[address] if found.get(address) in supported else settings.LANGUAGE_CODE for address in addresses
    }


def _dispatch(email_id: int) -> None:
    """Queue the sending after commit. Not `delay_on_commit()`: an unreachable
    broker must leave the message in the outbox, not fail the request that
    already committed it."""
    try:
        send_outbound_email.delay(email_id)
    except Exception:  # broker unreachable: the outbox keeps the message for flush_outbox
        logger.warning("Could not enqueue e-mail %s; it stays in the outbox", email_id, exc_info=True)


def email_send(*, email_id: int) -> bool:
    """Send one queued e-mail; record the outcome. Returns True when sent."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status == OutboundEmail.Status.SENT:
            return False
        email.attempts += 1
        try:
            EmailMessage(
                email.subject,
                email.body,
                settings.DEFAULT_FROM_EMAIL,
                email.recipients,
                reply_to=[email.reply_to] if email.reply_to else None,
            ).send()
        except Exception as exc:  # SMTP and network errors alike are retried later
            email.last_error = f"{type(exc).__name__}: {exc}"
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("E-mail %s not sent (attempt %s): %s", email.pk, email.attempts, exc)
            return False
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return True


def outbox_pending_ids(*, older_than: timedelta | None = None) -> list[int]:
    """Pending e-mails that a task should already have sent (queued more than
    OUTBOX_RESEND_AFTER_SECONDS ago: younger ones are left to their own task)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    return list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.PENDING, created_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)[:500]
    )


# The outbox's own Celery tasks, beside the functions they run.


@shared_task(ignore_result=True)
def send_outbound_email(email_id: int) -> bool:
    return email_send(email_id=email_id)


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    """Send whatever the outbox still holds (run by Celery beat)."""
    return sum(email_send(email_id=pk) for pk in outbox_pending_ids())
