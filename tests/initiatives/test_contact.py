"""Visitors write to the lead of a public initiative, or to a person of the
directory, who agreed: one e-mail in the outbox that a plain reply answers,
the recipient's address on no page, rate limits per client and per sender,
a honeypot, and the record kept only POPS_CONTACT_RETENTION_DAYS."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from initiatives.factories import InitiativeFactory, PersonFactory, UserFactory
from initiatives.models import ContactMessage, OutboundEmail
from initiatives.services.contact import contact_relay
from initiatives.tasks import purge_contact_messages

pytestmark = pytest.mark.django_db

LEAD_ADDRESS = "casella.nascosta@polito.it"
LOGIN_ADDRESS = "accesso.nascosto@polito.it"
SENDER = {"name": "Marco Bianchi", "email": "marco.bianchi@example.org", "message": "Vorrei partecipare agli orti."}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lead():
    return PersonFactory(
        first_name="Lucia",
        last_name="Riservata",
        email=LEAD_ADDRESS,
        user=UserFactory(email=LOGIN_ADDRESS),
        public_profile=True,
        accepts_messages=True,
    )


@pytest.fixture
def initiative(lead):
    return InitiativeFactory(published=True, title_it="Orti di comunità", title_en="Community gardens", lead=lead)


def form_url(initiative, language="it"):
    with translation.override(language):
        return reverse("initiative-contact", args=[initiative.slug])


def send(client, initiative, language="it", ip="10.3.0.1", **changes):
    data = {**SENDER, "consent": "on", "website": "", **changes}
    return client.post(form_url(initiative, language), data, REMOTE_ADDR=ip)


def test_the_urls_are_translated(initiative):
    assert form_url(initiative) == f"/it/iniziative/{initiative.slug}/scrivi/"
    assert form_url(initiative, "en") == f"/en/initiatives/{initiative.slug}/write/"
    with translation.override("it"):
        assert reverse("person-contact-sent", args=["x"]) == "/it/persone/x/scrivi/inviato/"


def test_contact_relays_one_email_to_the_lead_that_a_plain_reply_answers(
    client, initiative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, initiative)
    sent_url = reverse("initiative-contact-sent", args=[initiative.slug])
    assert response.status_code == 302 and response["Location"] == sent_url
    [email] = OutboundEmail.objects.all()
    # The login's address first, as every e-mail of the portal.
    assert (email.to, email.reply_to, email.status) == (LOGIN_ADDRESS, SENDER["email"], OutboundEmail.Status.SENT)
    [message] = mail.outbox
    assert message.to == [LOGIN_ADDRESS]
    assert message.reply_to == [SENDER["email"]]
    assert message.subject == "[POPS] Un messaggio da Marco Bianchi su “Orti di comunità”"
    assert "Marco Bianchi <marco.bianchi@example.org> ti ha scritto" in message.body
    assert SENDER["message"] in message.body
    assert initiative.get_absolute_url() in message.body
    # Nothing to the sender: one message in all.
    assert len(mail.outbox) == 1
    [record] = ContactMessage.objects.all()
    assert (record.recipient, record.initiative, record.sender_email, record.email) == (
        initiative.lead(),
        initiative,
        SENDER["email"],
        email,
    )
    assert record.ip_hash and "10.3.0.1" not in record.ip_hash and len(record.ip_hash) == 64

    thanks = client.get(sent_url)
    assert thanks.status_code == 200
    assert "Il tuo messaggio è stato inoltrato per e-mail a Lucia Riservata" in thanks.content.decode()


def test_the_recipients_address_is_in_no_page_or_answer(client, initiative, lead):
    pages = [
        form_url(initiative),
        form_url(initiative, "en"),
        reverse("initiative-contact-sent", args=[initiative.slug]),
        initiative.get_absolute_url(),
        lead.get_absolute_url(),
        reverse("person-contact", args=[lead.slug]),
        reverse("person-contact-sent", args=[lead.slug]),
        reverse("api-initiative-detail", args=[initiative.slug]),
        reverse("api-initiative-list"),
    ]
    bodies = [send(client, initiative).content, send(client, initiative, message="").content]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content)
    for body in bodies:
        # Nor the addresses' names alone (with a dot: no random token holds one).
        for address in (LEAD_ADDRESS, LOGIN_ADDRESS, "casella.nascosta", "accesso.nascosto"):
            assert address.encode() not in body.lower()


def test_the_email_is_in_the_recipients_language(client, initiative, lead, django_capture_on_commit_callbacks):
    lead.language = "en"
    lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        send(client, initiative, language="it")
    [message] = mail.outbox
    assert message.subject == "[POPS] A message from Marco Bianchi about “Community gardens”"
    assert "To answer, reply to this e-mail: your reply goes to marco.bianchi@example.org." in message.body


def test_a_person_of_the_directory_who_agreed_is_written_to(client, lead, django_capture_on_commit_callbacks):
    url = reverse("person-contact", args=[lead.slug])
    page = client.get(lead.get_absolute_url()).content.decode()
    assert f'href="{url}"' in page and "Scrivi a Lucia Riservata" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**SENDER, "consent": "on"})
    assert response["Location"] == reverse("person-contact-sent", args=[lead.slug])
    [message] = mail.outbox
    assert (message.to, message.reply_to) == ([LOGIN_ADDRESS], [SENDER["email"]])
    assert message.subject == "[POPS] Un messaggio da Marco Bianchi tramite l'elenco delle persone"
    assert ContactMessage.objects.get().initiative is None


def test_the_initiative_page_links_to_the_form_only_when_the_lead_agreed(client, initiative, lead):
    link = f'href="{form_url(initiative)}"'
    assert link in client.get(initiative.get_absolute_url()).content.decode()
    lead.accepts_messages = False
    lead.save()
    cache.clear()
    assert link not in client.get(initiative.get_absolute_url()).content.decode()
    assert "Scrivi a" not in client.get(lead.get_absolute_url()).content.decode()


def test_a_filled_in_honeypot_pretends_success_and_sends_nothing(
    client, initiative, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, initiative, website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("initiative-contact-sent", args=[initiative.slug])
    assert not OutboundEmail.objects.exists() and not ContactMessage.objects.exists()
    assert mail.outbox == []


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client, initiative):
    html = client.get(form_url(initiative)).content.decode()
    assert '<div class="pops-hp" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


@pytest.fixture
def limits_on(settings):
    settings.RATELIMIT_ENABLE = True
    cache.clear()


def test_one_client_sending_too_often_is_answered_429_and_nothing_is_sent(client, initiative, settings, limits_on):
    settings.POPS_RATE_CONTACT = "2/h"
    statuses = [send(client, initiative, "en", email=f"sender{n}@example.org").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    with translation.override("en"):
        response = send(client, initiative, "en", email="other@example.org")
    content = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many messages" in content and "so this one was not sent" in content
    assert OutboundEmail.objects.count() == ContactMessage.objects.count() == 2
    # Another client is not limited.
    assert send(client, initiative, ip="10.3.0.2", email="sender9@example.org").status_code == 302


def test_one_sender_writing_too_often_is_answered_429_whatever_the_client(client, initiative, settings, limits_on):
    settings.POPS_RATE_CONTACT_EMAIL = "2/d"
    statuses = [
        send(client, initiative, ip=f"10.3.1.{n}", email=email).status_code
        for n, email in enumerate(["a@example.org", "A@Example.org", "a@example.org"])
    ]
    assert statuses == [302, 302, 429]
    response = send(client, initiative, ip="10.3.1.9", email="a@example.org")
    assert response.status_code == 429
    assert "Troppi messaggi" in response.content.decode()
    assert OutboundEmail.objects.count() == ContactMessage.objects.count() == 2
    assert send(client, initiative, ip="10.3.1.9", email="b@example.org").status_code == 302


BAD_INPUT = [
    pytest.param({"name": "", "email": "", "message": "", "consent": ""}, "name", id="empty"),
    pytest.param({"email": "not-an-address"}, "email", id="invalid-email"),
    pytest.param({"message": "x" * 5001}, "message", id="message-too-long"),
    pytest.param({"message": "Ciao"}, "message", id="message-too-short"),
    pytest.param({"name": "n" * 101}, "name", id="name-too-long"),
    pytest.param({"name": "Marco\r\nBcc: x@example.org"}, "name", id="name-on-two-lines"),
    pytest.param({"consent": ""}, "consent", id="no-consent"),
]
MESSAGES = {
    "it": {
        "name": ("Campo obbligatorio.", "Scrivi il tuo nome su una sola riga.", "più di 100 caratteri"),
        "email": ("Inserisci un indirizzo email valido.",),
        "message": ("più di 5000 caratteri", "almeno 10 caratteri"),
        "consent": ("Spunta la casella per acconsentire",),
        "summary": "Il messaggio non è stato inviato.",
    },
    "en": {
        "name": ("This field is required.", "Write your name on one line.", "at most 100"),
        "email": ("Enter a valid email address.",),
        "message": ("at most 5000 characters", "at least 10 characters"),
        "consent": ("Tick the box to agree to the notice",),
        "summary": "The message was not sent.",
    },
}


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize(("changes", "field"), BAD_INPUT)
def test_bad_input_shows_the_form_with_clear_errors_and_stores_nothing(client, initiative, changes, field, language):
    response = send(client, initiative, language, **changes)
    assert response.status_code == 200
    with translation.override(language):
        html = response.content.decode()
    expected = MESSAGES[language]
    assert expected["summary"] in html
    assert f'<p class="pops-error-message" id="id_{field}_error">' in html
    assert 'aria-invalid="true"' in html
    assert any(text in html for text in expected[field]), html
    # What was typed is kept (the message, where it was not the problem).
    if field != "message" and changes.get("message", SENDER["message"]):
        assert SENDER["message"] in html
    assert not OutboundEmail.objects.exists() and not ContactMessage.objects.exists()


def test_the_form_shows_the_privacy_notice_in_both_languages(client, initiative, settings):
    settings.POPS_CONTACT_RETENTION_DAYS = 90
    html = client.get(form_url(initiative)).content.decode()
    assert "Come viene trattato il tuo messaggio" in html and "per 90 giorni" in html
    assert 'name="consent"' in html
    with translation.override("en"):
        html = client.get(form_url(initiative, "en")).content.decode()
    assert "How your message is handled" in html and "for 90 days" in html
    assert "are sent by e-mail to Lucia Riservata" in html
    # Help texts too are in the language of the request.
    assert "At most 5000 characters." in html


def _urls(slug: str, kind: str) -> list[str]:
    return [reverse(f"{kind}-contact", args=[slug]), reverse(f"{kind}-contact-sent", args=[slug])]


def test_a_draft_initiative_has_no_form(client, lead):
    draft = InitiativeFactory(lead=lead)
    for url in _urls(draft.slug, "initiative"):
        assert client.get(url).status_code == 404
    assert client.post(_urls(draft.slug, "initiative")[0], {**SENDER, "consent": "on"}).status_code == 404
    assert not OutboundEmail.objects.exists()


def test_a_lead_who_did_not_agree_has_no_form(client):
    initiative = InitiativeFactory(published=True, lead=PersonFactory(public_profile=True, accepts_messages=False))
    for url in _urls(initiative.slug, "initiative"):
        assert client.get(url).status_code == 404
    assert client.post(_urls(initiative.slug, "initiative")[0], {**SENDER, "consent": "on"}).status_code == 404


def test_a_lead_who_agreed_but_has_no_address_has_no_form(client):
    initiative = InitiativeFactory(published=True, lead=PersonFactory(email="", accepts_messages=True))
    assert client.get(_urls(initiative.slug, "initiative")[0]).status_code == 404


def test_a_lead_who_agreed_is_written_to_even_outside_the_directory(client):
    initiative = InitiativeFactory(published=True, lead=PersonFactory(public_profile=False, accepts_messages=True))
    assert client.get(_urls(initiative.slug, "initiative")[0]).status_code == 200
    lead = initiative.lead()
    for url in _urls(lead.slug, "person"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "person", [{"public_profile": False, "accepts_messages": True}, {"public_profile": True, "accepts_messages": False}]
)
def test_a_person_not_in_the_directory_or_who_did_not_agree_has_no_form(client, person):
    person = PersonFactory(**person)
    for url in _urls(person.slug, "person"):
        assert client.get(url).status_code == 404
    assert client.post(_urls(person.slug, "person")[0], {**SENDER, "consent": "on"}).status_code == 404
    assert not ContactMessage.objects.exists()


def test_the_service_refuses_a_recipient_who_may_not_be_written_to(initiative):
    other = PersonFactory(public_profile=True, accepts_messages=True)
    with pytest.raises(ValueError):
        contact_relay(
            recipient=other, initiative=initiative, sender_name="M", sender_email="m@example.org", message="x"
        )
    with pytest.raises(ValueError):
        contact_relay(
            recipient=PersonFactory(public_profile=False, accepts_messages=True),
            sender_name="M",
            sender_email="m@example.org",
            message="x",
        )
    assert not OutboundEmail.objects.exists()


def test_old_messages_and_their_emails_are_purged(initiative, settings):
    settings.POPS_CONTACT_RETENTION_DAYS = 180
    lead = initiative.lead()
    kwargs = {"recipient": lead, "initiative": initiative, "sender_name": "M", "sender_email": "m@example.org"}
    old = contact_relay(**kwargs, message="old")
    recent = contact_relay(**kwargs, message="recent")
    unrelated = OutboundEmail.objects.create(to="someone@example.org", subject="S", body="B")
    OutboundEmail.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    ContactMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=181))
    ContactMessage.objects.filter(pk=recent.pk).update(created_at=timezone.now() - datetime.timedelta(days=179))

    assert purge_contact_messages() == 1
    assert list(ContactMessage.objects.all()) == [recent]
    assert set(OutboundEmail.objects.all()) == {recent.email, unrelated}


def test_the_purge_runs_daily_in_the_beat_schedule(settings):
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["initiatives.tasks.purge_contact_messages"] == 24 * 3600
