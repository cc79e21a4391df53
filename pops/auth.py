"""Authentication: researchers sign in with their e-mail address.

Local accounts are the embedded default; institutional SSO (SAML) plugs in as
another entry of AUTHENTICATION_BACKENDS without touching the census views,
which only ever ask `request.user`.

Nothing here may tell whether an account exists: every attempt runs the
password hasher exactly once (a known account's stored hash, or a throwaway
one), and password-reset e-mails are throttled per address whether or not
the address has an account.
"""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q

from pops.security import reset_allowed_for

logger = logging.getLogger(__name__)


class EmailBackend(ModelBackend):
    """Accept the e-mail address (any case) or the username.

    One query and one run of the hasher per attempt, on every path: an unknown
    login, an account without a usable password and a wrong password cost the
    same. An e-mail address shared by several accounts signs in the oldest of
    them (the others by username)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user_model = get_user_model()
        login = username.strip()
        matches = user_model._default_manager.filter(
            Q(email__iexact=login) | Q(**{user_model.USERNAME_FIELD: username})
        ).order_by("pk")[:3]
        by_email = [user for user in matches if user.email.lower() == login.lower()]
        user = (by_email or list(matches) or [None])[0]
        if user is not None and user.has_usable_password():
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
            return None
        user_model().set_password(password)
        return None


@shared_task
def send_reset_email(subject: str, body: str, from_email: str | None, to_email: str, html: str | None) -> None:
    """Send a reset e-mail (a task: the request does not wait for SMTP, so its
    time does not tell whether the address has an account). Not through the
    outbox, whose rows staff can read: the link in it sets a password."""
    message = EmailMultiAlternatives(subject, body, from_email, [to_email])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form (the same "sent" page whatever the address), which
    sends at most POPS_RATE_PASSWORD_RESET_EMAIL e-mails to one address, in
    the background."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        try:
            send_reset_email.delay(subject, body, from_email, to_email, html)
        except Exception:  # broker unreachable: send now rather than never
            logger.warning("Could not enqueue a password-reset e-mail; sending it now.", exc_info=True)
            send_reset_email(subject, body, from_email, to_email, html)

    def save(self, *args, request=None, **kwargs):
        if request is not None and not reset_allowed_for(request, self.cleaned_data["email"]):
            logger.warning("Password reset e-mail not sent: too many for one address.")
            return None
        return super().save(*args, request=request, **kwargs)
