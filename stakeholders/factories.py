"""factory-boy factories for organisations, partnerships and territorial demand."""

from __future__ import annotations

import datetime

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from initiatives.factories import CompetenceFactory, SectorFactory
from initiatives.models import Competence, Sector
from pops.factories import (
    AutoValue,
    UniqueValuesMixin,
    VocabularyFactory,
    aware,
    it_faker,
    rng,
    set_m2m,
    vocabulary_rows,
)

from .models import Organisation, OrganisationType, Partnership, TargetGroup, TerritorialDemand


def organisation_email(local: str, organisation_name: str) -> str:
    """A plausible address under example.org: "info@comune-di-torino.example.org"."""
    return f"{local}@{slugify(organisation_name)[:40].strip('-')}.example.org"


class OrganisationTypeFactory(VocabularyFactory):
    class Meta:
        model = OrganisationType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"tipo-{n}")


class TargetGroupFactory(VocabularyFactory):
    class Meta:
        model = TargetGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"destinatari-{n}")


ORGANISATION_KINDS = [
    "Associazione di promozione sociale",
    "Cooperativa sociale",
    "Fondazione di comunità",
    "Comitato di quartiere",
    "Associazione di volontariato",
]
MUNICIPALITIES = ["Torino", "Moncalieri", "Collegno", "Ivrea", "Pinerolo", "Biella", "Cuneo", "Asti", "Novara"]


class OrganisationFactory(UniqueValuesMixin, DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.LazyAttributeSequence(
        lambda o, n: f"{rng().choice(ORGANISATION_KINDS)} {o.municipality_name} {n + 1}"
    )
    slug = factory.LazyAttribute(lambda o: AutoValue(slugify(o.name)[:200].rstrip("-")))
    type = vocabulary_rows(OrganisationType, OrganisationTypeFactory)
    municipality = factory.LazyAttribute(lambda o: o.municipality_name)
    country = "IT"
    created_at = factory.LazyFunction(
        lambda: aware(datetime.date(2024, 1, 15) + datetime.timedelta(days=rng().randint(0, 600)))
    )

    class Params:
        municipality_name = factory.LazyFunction(lambda: rng().choice(MUNICIPALITIES))


class PartnershipFactory(DjangoModelFactory):
    class Meta:
        model = Partnership

    initiative = factory.SubFactory("initiatives.factories.InitiativeFactory")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Partnership.Role.PARTNER
    position = factory.Sequence(lambda n: n % 4)


class TerritorialDemandFactory(DjangoModelFactory):
    class Meta:
        model = TerritorialDemand
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title_it = "Supporto alla mappatura dei bisogni abitativi del quartiere"
    description_it = it_faker("paragraph", nb_sentences=3)
    municipality = factory.LazyAttribute(lambda o: o.organisation.municipality)
    contact_email = factory.LazyAttribute(lambda o: organisation_email("info", o.organisation.name))
    posted_on = factory.LazyFunction(lambda: datetime.date(2026, 3, 2) + datetime.timedelta(days=rng().randint(0, 200)))
    status = TerritorialDemand.Status.OPEN

    sectors = set_m2m("sectors", Sector, SectorFactory)
    target_groups = set_m2m("target_groups", TargetGroup, TargetGroupFactory)
    competences = set_m2m("competences", Competence, CompetenceFactory, k=(1, 2))
    initiatives = set_m2m("initiatives")
