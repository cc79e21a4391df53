"""The outbox never loses an e-mail: not when Redis is down, not when SMTP fails."""

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from initiatives.factories import DEMO_PASSWORD, PersonFactory, UserFactory
from initiatives.models import OutboundEmail
from initiatives.services.notifications import MAX_ATTEMPTS, email_queue
from initiatives.tasks import flush_outbox, send_outbound_email

pytestmark = pytest.mark.django_db


def queue(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [email] = email_queue(
            to=["ricercatrice@polito.it"],
            template="published",
            context={"initiative": mock.Mock(title="Orti urbani", get_absolute_url=lambda: "/it/x/")},
        )
        return email


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
    with mock.patch("initiatives.services.notifications.EmailMessage.send", side_effect=OSError("SMTP down")):
        email = queue(django_capture_on_commit_callbacks)
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundEmail.Status.PENDING, 1)
        assert "SMTP down" in email.last_error
        for _ in range(MAX_ATTEMPTS - 1):
            send_outbound_email(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED


def test_nobody_to_write_to_queues_nothing():
    assert email_queue(to=["", None], template="published", context={}) == []
    assert not OutboundEmail.objects.exists()


def published(to, django_capture_on_commit_callbacks, **options):
    with django_capture_on_commit_callbacks(execute=True):
        return email_queue(
            to=to,
            template="published",
            context={"initiative": mock.Mock(title="Orti urbani", get_absolute_url=lambda: "/x/")},
            **options,
        )


def test_each_recipient_reads_the_email_in_their_own_language(django_capture_on_commit_callbacks):
    PersonFactory(email="Anna.Rossi@polito.it", language="en")
    english_login = UserFactory(email="mario.bianchi@polito.it")
    PersonFactory(email="", user=english_login, language="en")
    PersonFactory(email="luca.verdi@polito.it", language="it")
    emails = published(
        ["anna.rossi@polito.it", "MARIO.BIANCHI@polito.it", "luca.verdi@polito.it", "unknown@example.org"],
        django_capture_on_commit_callbacks,
    )
    assert len(emails) == 2
    by_recipients = {tuple(message.to): message.subject for message in mail.outbox}
    assert by_recipients == {
        ("MARIO.BIANCHI@polito.it", "anna.rossi@polito.it"): "[POPS] “Orti urbani” is published",
        ("luca.verdi@polito.it", "unknown@example.org"): "[POPS] “Orti urbani” è stata pubblicata",
    }


def test_a_language_given_by_the_caller_wins(django_capture_on_commit_callbacks):
    PersonFactory(email="anna.rossi@polito.it", language="en")
    [email] = published(["anna.rossi@polito.it"], django_capture_on_commit_callbacks, language="it")
    assert email.subject == "[POPS] “Orti urbani” è stata pubblicata"


def test_signing_in_records_the_language_for_the_next_emails(client):
    user = UserFactory(email="anna.rossi@polito.it")
    person = PersonFactory(user=user, language="it")
    with translation.override("en"):
        url = reverse("login")
    assert url.startswith("/en/")
    response = client.post(url, {"username": user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.language == "en"
    with translation.override("it"):
        client.post(reverse("login"), {"username": user.username, "password": DEMO_PASSWORD})
    person.refresh_from_db()
    assert person.language == "it"


def test_beat_leaves_young_emails_to_their_task_and_a_late_task_never_sends_twice(
    django_capture_on_commit_callbacks, settings
):
    """The broker was down when the e-mail was queued: beat sends it once it
    is OUTBOX_RESEND_AFTER_SECONDS old; the task, delivered late after all,
    finds it sent. tests/faults proves it with a real Redis stopped and started."""
    settings.OUTBOX_RESEND_AFTER_SECONDS = 30
    with mock.patch.object(send_outbound_email, "delay", side_effect=ConnectionError("Redis is down")):
        email = queue(django_capture_on_commit_callbacks)
    assert flush_outbox() == 0  # too young: its own task may still come

    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timezone.timedelta(seconds=31))
    assert flush_outbox() == 1
    assert send_outbound_email(email.pk) is False
    assert flush_outbox() == 0
    assert len(mail.outbox) == 1
