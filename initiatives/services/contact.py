"""Visitors write to people through the showcase, never seeing an address.

Who may be written to: the lead of a public initiative, and a person in the
public directory, each only if they agreed to receive messages
(`Person.accepts_messages`) and the portal has an address for them. The
relay is one e-mail through the outbox to the recipient, with the visitor's
name, address and message, and Reply-To set to the visitor, so that a plain
reply answers them. Nothing is sent to the visitor: a form that mails
whatever address it is given would let anyone send mail to anyone.

A minimal record of each message (`ContactMessage`, with a keyed hash of the
client's address, never the address) is kept for abuse handling and deleted,
with its e-mail, after POPS_CONTACT_RETENTION_DAYS (`contact_messages_purge`,
daily by Celery beat). The rate limits are request-level defences, in
pops/security.py.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.crypto import salted_hmac

from initiatives.models import ContactMessage, Initiative, OutboundEmail, Participation, Person
from initiatives.services.notifications import email_queue


def may_be_written_to(person: Person | None) -> bool:
    """Whether visitors may write to `person`: they agreed, and the portal
    has an address to relay to."""
    return person is not None and person.accepts_messages and bool(person.contact_address)


def initiative_lead_to_write(initiative: Initiative) -> Person | None:
    """The lead of `initiative` when visitors may write to them: the
    initiative is public and the lead agreed. (Uses the prefetched
    participations when present.)"""
    if not initiative.is_public:
        return None
    lead = initiative.lead()
    return lead if may_be_written_to(lead) else None


def initiative_contact(slug: str) -> tuple[Initiative, Person] | None:
    """The public initiative `slug` and its lead, when visitors may write to the lead."""
    initiative = (
        Initiative.objects.public()
        .prefetch_related(Prefetch("participations", queryset=Participation.objects.select_related("person__user")))
        .filter(slug=slug)
        .first()
    )
    lead = initiative_lead_to_write(initiative) if initiative is not None else None
    return (initiative, lead) if lead is not None else None


def person_contact(slug: str) -> Person | None:
    """The person `slug` of the public directory, when visitors may write to them."""
    person = Person.objects.in_directory().select_related("user").filter(slug=slug).first()
    return person if may_be_written_to(person) else None


def ip_hash(ip: str | None) -> str:
    """A keyed hash of a client's address: two messages from one address can
    be told apart from others, and the address cannot be read back."""
    if not ip:
        return ""
    return salted_hmac("pops.contact.ip", ip, algorithm="sha256").hexdigest()


@transaction.atomic
def contact_relay(
    *,
    recipient: Person,
    initiative: Initiative | None = None,
    sender_name: str,
    sender_email: str,
    message: str,
    ip: str | None = None,
) -> ContactMessage:
    """Relay a visitor's message to `recipient` (about `initiative`, whose
    lead they are, or through the directory when None): one e-mail in the
    outbox, in the recipient's language, replying to the visitor; and the
    record kept for abuse handling."""
    if initiative is not None:
        allowed = initiative_lead_to_write(initiative) == recipient
    else:
        allowed = recipient.public_profile and may_be_written_to(recipient)
    if not allowed:
        raise ValueError("Visitors may not write to this person.")
    [email] = email_queue(
        to=[recipient.contact_address],
        template="contact",
        context={
            "recipient": recipient,
            "initiative": initiative,
            "sender_name": sender_name,
            "sender_email": sender_email,
            "message": message,
            "staff_email": settings.POPS_STAFF_EMAILS[0] if settings.POPS_STAFF_EMAILS else "",
            "retention_days": settings.POPS_CONTACT_RETENTION_DAYS,
        },
        reply_to=sender_email,
    )
    return ContactMessage.objects.create(
        recipient=recipient,
        initiative=initiative,
        sender_name=sender_name,
        sender_email=sender_email,
        message=message,
        ip_hash=ip_hash(ip),
        email=email,
    )


@transaction.atomic
def contact_messages_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the messages older than POPS_CONTACT_RETENTION_DAYS and their
    e-mails in the outbox. Returns how many messages went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.POPS_CONTACT_RETENTION_DAYS)
    old = ContactMessage.objects.filter(created_at__lt=cutoff)
    email_ids = list(old.exclude(email=None).values_list("email_id", flat=True))
    count, _by_model = old.delete()
    OutboundEmail.objects.filter(pk__in=email_ids).delete()
    return count
