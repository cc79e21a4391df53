"""The outbox never loses an e-mail: not when Redis is down, not when SMTP fails."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from initiatives.models import OutboundEmail
from initiatives.notifications import MAX_ATTEMPTS, email_queue
from initiatives.tasks import flush_outbox, send_outbound_email

pytestmark = pytest.mark.django_db


def queue(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return email_queue(
            to=["ricercatrice@polito.it"],
            template="published",
            context={"initiative": mock.Mock(title="Orti urbani", get_absolute_url=lambda: "/it/x/")},
        )


def test_an_email_is_sent_by_the_celery_task_after_commit(django_capture_on_commit_callbacks):
    email = queue(django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1
    assert "Orti urbani" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["ricercatrice@polito.it"]


def test_when_the_broker_is_unreachable_the_email_stays_in_the_outbox_and_beat_sends_it(
    django_capture_on_commit_callbacks,
):
    with mock.patch.object(send_outbound_email, "delay", side_effect=ConnectionError("Redis is down")):
        email = queue(django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING
    assert mail.outbox == []

    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=5))
    assert flush_outbox() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(mail.outbox) == 1


def test_an_smtp_failure_is_recorded_and_retried_until_it_gives_up(django_capture_on_commit_callbacks):
    with mock.patch("initiatives.notifications.send_mail", side_effect=OSError("SMTP down")):
        email = queue(django_capture_on_commit_callbacks)
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
        assert "SMTP down" in email.last_error
        for _ in range(MAX_ATTEMPTS - 1):
            send_outbound_email(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED


def test_nobody_to_write_to_queues_nothing():
    assert email_queue(to=["", None], template="published", context={}) is None
    assert not OutboundEmail.objects.exists()
