"""Authentication: researchers sign in with their e-mail address.

Local accounts are the embedded default; institutional SSO (SAML) plugs in as
another entry of AUTHENTICATION_BACKENDS without touching the census views,
which only ever ask `request.user`.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Accept the e-mail address (any case) in place of the username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        users = get_user_model()._default_manager.filter(email__iexact=username.strip())
        for user in users[:2]:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        # Run the hasher once anyway, so timing does not reveal unknown addresses.
        get_user_model()().set_password(password)
        return None
