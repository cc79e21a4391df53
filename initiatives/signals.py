"""Signal receivers of the initiatives app, connected in `InitiativesConfig.ready()`.

A person's language is remembered at each sign-in, for the e-mails they get.

Whatever changes what the public showcase shows (a public initiative saved or
deleted from anywhere: admin, shell, import, workflow; its classifications; its
partners; a vocabulary entry; an organisation's type; a page of the footer)
replaces the showcase's cache version once the transaction commits.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import translation

from initiatives.models import Initiative, Person, SitePage
from initiatives.showcase import facet_index
from initiatives.showcase.cache import showcase_cache_invalidate
from stakeholders.models import Organisation, Partnership


@receiver(post_save, sender=Initiative)
@receiver(post_delete, sender=Initiative)
def _public_initiative_changed(sender, instance, **kwargs) -> None:
    """Any save or deletion of a public initiative (admin, shell, import,
    workflow) refreshes the showcase; drafts and working copies do not. A
    published one merged into another (or brought back by undoing the merge)
    was public a moment ago, or is again: its page and counts change too."""
    if instance.state == Initiative.State.PUBLISHED and instance.revision_of_id is None:
        showcase_cache_invalidate()


def _links_changed(sender, instance, **kwargs) -> None:
    """A classification of a public initiative changed (or, from the other
    side, a vocabulary entry's initiatives)."""
    if not isinstance(instance, Initiative) or instance.is_public:
        showcase_cache_invalidate()


def _vocabulary_changed(sender, **kwargs) -> None:
    """Renaming, reordering or deleting an entry changes the facets' labels."""
    showcase_cache_invalidate()


for _vocabulary in facet_index.VOCABULARIES.values():
    post_save.connect(_vocabulary_changed, sender=_vocabulary.model)
    post_delete.connect(_vocabulary_changed, sender=_vocabulary.model)
    if _vocabulary.field:
        _through = Initiative._meta.get_field(_vocabulary.field).remote_field.through
        m2m_changed.connect(_links_changed, sender=_through)


@receiver(post_save, sender=Partnership)
@receiver(post_delete, sender=Partnership)
def _partnership_changed(sender, instance, **kwargs) -> None:
    """The partner types of an initiative are a facet."""
    if Partnership.initiative.is_cached(instance):
        initiative = instance.initiative
    else:
        initiative = (
            Initiative.objects.filter(pk=instance.initiative_id).only("state", "revision_of", "merged_into").first()
        )
    if initiative is None or initiative.is_public:
        showcase_cache_invalidate()


@receiver(post_save, sender=Organisation)
def _organisation_changed(sender, instance, created, **kwargs) -> None:
    """An organisation's type is the partner-type facet of its initiatives."""
    if not created:
        showcase_cache_invalidate()


@receiver(post_save, sender=SitePage)
def _site_page_changed(sender, **kwargs) -> None:
    """The accessibility statement, privacy notice and legal notes are cached
    like the showcase's pages: a staff edit shows at once."""
    showcase_cache_invalidate()


@receiver(user_logged_in)
def _remember_language(sender, request, user, **kwargs) -> None:
    """A person is written to in the language they last signed in with."""
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    if language in {code for code, _name in settings.LANGUAGES}:
        Person.objects.filter(user=user).exclude(language=language).update(language=language)
