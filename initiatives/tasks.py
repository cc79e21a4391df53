"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from .notifications import email_send, outbox_pending_ids


@shared_task(ignore_result=True)
def send_outbound_email(email_id: int) -> bool:
    return email_send(email_id=email_id)


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    """Send whatever the outbox still holds (run by Celery beat)."""
    return sum(email_send(email_id=pk) for pk in outbox_pending_ids())
