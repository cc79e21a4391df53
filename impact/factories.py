"""factory-boy factories for products, impacts and the SDGs.

No other app's factories are imported here (initiatives.factories imports
this module): the initiative of a product or an impact is named by string."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pops.factories import VocabularyFactory, rng, vocabulary_rows

from .models import SDG, Impact, Product, ProductCategory


class SDGFactory(DjangoModelFactory):
    class Meta:
        model = SDG
        django_get_or_create = ("number",)

    number = factory.Sequence(lambda n: n % 17 + 1)
    name_it = factory.LazyAttribute(lambda o: f"Obiettivo {o.number}")
    color = "#19486A"


class ProductCategoryFactory(VocabularyFactory):
    class Meta:
        model = ProductCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"categoria-{n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    initiative = factory.SubFactory("initiatives.factories.InitiativeFactory")
    category = vocabulary_rows(ProductCategory, ProductCategoryFactory)
    title = "Rapporto di analisi quali-quantitativa del quartiere"
    description = "Dati, mappe e interviste raccolti con gli abitanti, pubblicati ad accesso aperto."
    url = ""
    year = factory.LazyAttribute(
        lambda o: (o.initiative.start_date.year if o.initiative.start_date else 2025) + rng().randint(0, 1)
    )
    position = factory.Sequence(lambda n: n % 3)


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


class ImpactFactory(DjangoModelFactory):
    """An expected impact; `ImpactFactory(achieved=True)` adds the measured
    value, the date and the people reached."""

    class Meta:
        model = Impact

    class Params:
        achieved = factory.Trait(
            kind=Impact.Kind.ACHIEVED,
            value=factory.LazyAttribute(
                lambda o: _decimal(o.baseline + (o.target - o.baseline) * rng().randint(55, 115) / 100)
            ),
            measured_on=factory.LazyAttribute(
                lambda o: datetime.date(2025, 6, 30) - datetime.timedelta(days=rng().randint(0, 400))
            ),
            people_reached=factory.LazyFunction(lambda: rng().randint(20, 1500)),
        )

    initiative = factory.SubFactory("initiatives.factories.InitiativeFactory")
    kind = Impact.Kind.EXPECTED
    category = Impact.Category.SOCIAL
    description = "Più persone del quartiere partecipano alle attività di comunità."
    indicator = "Partecipanti agli incontri pubblici"
    unit = "persone"
    baseline = factory.LazyFunction(lambda: _decimal(rng().randint(0, 40)))
    target = factory.LazyAttribute(lambda o: _decimal(o.baseline + rng().randint(20, 200)))
    value = None
    measured_on = None
    people_reached = None
    position = factory.Sequence(lambda n: n % 3)
