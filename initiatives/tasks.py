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


@shared_task(ignore_result=True)
def send_campaign_invitations(campaign_id: int) -> int:
    from .census.campaigns import campaign_invite
    from .models import CensusCampaign

    return campaign_invite(campaign=CensusCampaign.objects.get(pk=campaign_id))


@shared_task(ignore_result=True)
def send_campaign_reminders() -> int:
    """Daily (Celery beat): reminders for every open campaign."""
    from .census.campaigns import campaign_remind
    from .models import CensusCampaign

    return sum(campaign_remind(campaign=campaign) for campaign in CensusCampaign.objects.all())
