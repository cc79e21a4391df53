"""What the factory-boy factories of every app share: the random generator,
Italian Faker declarations, times in Rome, pickers of existing rows for
foreign keys and many-to-many fields, values made unique on create, and the
base of the vocabulary factories.

The app factories (initiatives, stakeholders, impact) import from here and
never the other way round; impact.factories imports no other app's factories
(its SubFactory declarations name initiatives.factories by string), so
initiatives.factories can import it.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import factory
import factory.random
from factory.django import DjangoModelFactory

ROME = ZoneInfo("Europe/Rome")


def it_faker(provider: str, **kwargs) -> factory.Faker:
    """A Faker declaration speaking Italian."""
    return factory.Faker(provider, locale="it_IT", **kwargs)


def rng():
    """The shared random generator, reseeded by factory.random.reseed_random()."""
    return factory.random.randgen


def aware(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ROME)


def pick(model, k: int = 1, queryset=None, fallback=None, order_by: str = "pk") -> list:
    """Up to `k` distinct existing rows of `model` (from `queryset` if given),
    chosen at random; when there are none, `fallback()` makes one."""
    rows = list((queryset if queryset is not None else model._default_manager.all()).order_by(order_by))
    if not rows:
        return [fallback()] if fallback is not None else []
    return rng().sample(rows, min(k, len(rows)))


def pick_one(model, queryset=None, fallback=None):
    rows = pick(model, 1, queryset, fallback)
    return rows[0] if rows else None


def vocabulary_rows(model, fallback_factory, queryset=None):
    """A lazy picker for a FK: an existing active entry that asks for no free
    text, or a new minimal one."""

    def choose():
        qs = queryset() if callable(queryset) else model._default_manager.filter(is_active=True, is_other=False)
        return pick_one(model, qs, fallback_factory)

    return factory.LazyFunction(choose)


def set_m2m(field: str, model=None, fallback_factory=None, k=(1, 1), queryset=None):
    """A post-generation hook setting a many-to-many field: to the objects
    given (`Factory(field=[...])`), or else to `k` random existing rows (a new
    one if none), or leave it empty when `model` is None."""

    def hook(obj, create, extracted, **kwargs):
        if not create:
            return
        manager = getattr(obj, field)
        if extracted is not None:
            manager.set(extracted)
            return
        if model is None:
            return
        qs = queryset() if callable(queryset) else queryset
        if qs is None:
            qs = model._default_manager.all()
            if hasattr(model, "is_other"):
                qs = qs.filter(is_active=True, is_other=False)
        manager.set(pick(model, rng().randint(*k), qs, fallback_factory))

    hook.__name__ = field
    return factory.PostGeneration(hook)


class AutoValue(str):
    """A value the factory made up, not one the caller asked for: it is made
    unique on create by adding a number ("giulia-rossi-2"). Values passed
    explicitly are left alone, so a duplicate still hits the constraint."""


def _numbered(value: str, n: int, max_length: int | None) -> str:
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local}{n}@{domain}"
    suffix = f"-{n}"
    base = value[: max_length - len(suffix)] if max_length else value
    return f"{base.rstrip('-')}{suffix}"


def make_unique(model, field: str, value: str) -> str:
    max_length = model._meta.get_field(field).max_length
    candidate = value[:max_length] if max_length else value
    n = 1
    while model._default_manager.filter(**{field: candidate}).exists():
        n += 1
        candidate = _numbered(value, n, max_length)
    return candidate


class UniqueValuesMixin:
    """Make `AutoValue` attributes unique on create; plain strings on build."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        for name, value in list(kwargs.items()):
            if isinstance(value, AutoValue):
                kwargs[name] = make_unique(model_class, name, str(value)) if value else ""
        return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        for name, value in list(kwargs.items()):
            if isinstance(value, AutoValue):
                kwargs[name] = str(value)
        return super()._build(model_class, *args, **kwargs)


# --- Vocabularies (minimal rows, only when the reference data is missing) -------


class VocabularyFactory(DjangoModelFactory):
    class Meta:
        abstract = True
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"voce-{n}")
    name_it = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    position = factory.Sequence(int)
