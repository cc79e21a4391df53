from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives")

    def ready(self):
        from initiatives import signals  # noqa: F401 (connects the receivers)
        from pops import (
            audit,
            checks,  # noqa: F401 (registers the start-up checks)
            security,
        )

        security.connect_receivers()
        audit.connect_receivers()
