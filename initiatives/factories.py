"""factory-boy factories for the census: users, people, initiatives and what
hangs off them. Used by the test-suite and by `manage.py seed_demo`.

Vocabulary foreign keys and many-to-many fields reuse the rows loaded by
`load_reference_data` and only create a minimal row when the table is empty,
so the factories also work in a bare test database.

Every random choice goes through `factory.random.randgen` (or Faker), so
`factory.random.reseed_random(seed)` makes a run repeatable. The helpers the
factories of every app share are in pops.factories.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from impact.factories import SDGFactory
from impact.models import SDG
from pops.factories import (
    AutoValue,
    UniqueValuesMixin,
    VocabularyFactory,
    aware,
    it_faker,
    make_unique,
    pick,
    pick_one,
    rng,
    set_m2m,
    vocabulary_rows,
)

from .models import (
    CampaignInvitation,
    CensusCampaign,
    Competence,
    DegreeProgramme,
    Department,
    Initiative,
    Participation,
    Person,
    Place,
    Sector,
    StateTransition,
    Theme,
)

DEMO_PASSWORD = "pops-demo-2026"
# The demo staff accounts' authenticator secret (base32, as apps ask for it):
# published like the password, so seed_demo refuses to run in production.
DEMO_OTP_SECRET = "POPSDEMOSTAFFSECONDFACTORTWENTYS"
State = Initiative.State


def working_time(first: datetime.date, last: datetime.date) -> datetime.datetime:
    """A random office-hours moment between two days (inclusive)."""
    day = first + datetime.timedelta(days=rng().randint(0, (last - first).days))
    return aware(day, rng().randint(8, 18), rng().randint(0, 59))


def handle(text: str) -> str:
    """ "Niccolò D'Amico" -> "niccolo.damico"-style e-mail fragments."""
    return slugify(text).replace("-", "")


# --- Vocabularies (minimal rows, only when the reference data is missing) -------


class DepartmentFactory(VocabularyFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DIP{n}")
    name_it = factory.LazyAttribute(lambda o: f"Dipartimento {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Department {o.code}")


class SectorFactory(VocabularyFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"settore-{n}")


class ThemeFactory(VocabularyFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"tema-{n}")


class CompetenceFactory(VocabularyFactory):
    class Meta:
        model = Competence
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"competenza-{n}")


# --- Users and people ---------------------------------------------------------------


# Names as they sound in a Turin university today (Faker's own Italian lists
# include historical figures such as "Alighieri" or "Manzoni").
FIRST_NAMES_FEMALE = [
    "Alessandra",
    "Alessia",
    "Alice",
    "Anna",
    "Arianna",
    "Beatrice",
    "Benedetta",
    "Camilla",
    "Carlotta",
    "Caterina",
    "Chiara",
    "Claudia",
    "Cristina",
    "Daniela",
    "Elena",
    "Eleonora",
    "Elisa",
    "Emanuela",
    "Erica",
    "Federica",
    "Francesca",
    "Gaia",
    "Giorgia",
    "Giulia",
    "Ilaria",
    "Irene",
    "Laura",
    "Lucia",
    "Ludovica",
    "Manuela",
    "Marta",
    "Martina",
    "Michela",
    "Monica",
    "Nadia",
    "Noemi",
    "Paola",
    "Roberta",
    "Sara",
    "Serena",
    "Silvia",
    "Simona",
    "Sofia",
    "Stefania",
    "Valentina",
    "Valeria",
    "Veronica",
    "Viola",
]
FIRST_NAMES_MALE = [
    "Alberto",
    "Alessandro",
    "Andrea",
    "Antonio",
    "Carlo",
    "Claudio",
    "Daniele",
    "Davide",
    "Edoardo",
    "Emanuele",
    "Enrico",
    "Fabio",
    "Federico",
    "Filippo",
    "Francesco",
    "Gabriele",
    "Giacomo",
    "Gianluca",
    "Giorgio",
    "Giovanni",
    "Giuseppe",
    "Jacopo",
    "Leonardo",
    "Lorenzo",
    "Luca",
    "Marco",
    "Matteo",
    "Mattia",
    "Michele",
    "Nicola",
    "Paolo",
    "Pietro",
    "Riccardo",
    "Roberto",
    "Simone",
    "Stefano",
    "Tommaso",
    "Umberto",
    "Valerio",
    "Vittorio",
]
LAST_NAMES = [
    "Actis",
    "Allasia",
    "Audisio",
    "Barbero",
    "Bertola",
    "Bertolino",
    "Bianco",
    "Boero",
    "Bonetto",
    "Bosio",
    "Bruno",
    "Canavese",
    "Cerutti",
    "Chiesa",
    "Colombo",
    "Conti",
    "Costa",
    "Cravero",
    "Cuniberti",
    "Demaria",
    "Esposito",
    "Ferrara",
    "Ferrari",
    "Ferrero",
    "Fontana",
    "Gallo",
    "Garbolino",
    "Gastaldi",
    "Ghione",
    "Giordano",
    "Gribaudo",
    "Grosso",
    "Lombardi",
    "Longo",
    "Marchetti",
    "Marengo",
    "Mariani",
    "Martini",
    "Mancini",
    "Marino",
    "Merlo",
    "Molinari",
    "Morello",
    "Moretti",
    "Negro",
    "Oberto",
    "Olivero",
    "Pautasso",
    "Pellegrino",
    "Perotti",
    "Piccolo",
    "Pignata",
    "Quaglia",
    "Raviola",
    "Ricci",
    "Rinaldi",
    "Rizzo",
    "Romano",
    "Rosso",
    "Russo",
    "Sacco",
    "Santoro",
    "Serra",
    "Silvestri",
    "Testa",
    "Tosco",
    "Vaira",
    "Valle",
    "Vercellino",
    "Villa",
    "Vitale",
    "Zanetti",
] + ["De Luca", "Dal Molin", "Di Stefano", "La Rosa"]


@functools.lru_cache(maxsize=16)
def _hash(raw: str, hashers: tuple[str, ...]) -> str:
    return make_password(raw)


def hash_password(raw: str) -> str:
    """Hash once per password and hasher setting: PBKDF2 is slow on purpose."""
    return _hash(raw, tuple(settings.PASSWORD_HASHERS))


class UserFactory(DjangoModelFactory):
    """A login; the password is DEMO_PASSWORD unless given (and is hashed)."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    first_name = it_faker("random_element", elements=FIRST_NAMES_FEMALE + FIRST_NAMES_MALE)
    last_name = it_faker("random_element", elements=LAST_NAMES)
    username = factory.LazyAttributeSequence(lambda o, n: f"{handle(o.first_name)}.{handle(o.last_name)}{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.Transformer(DEMO_PASSWORD, transform=hash_password)
    is_active = True


def _weighted(options: dict):
    values = list(options)
    return rng().choices(values, weights=[options[v] for v in values])[0]


ROLE_WEIGHTS = {
    Person.Role.FULL_PROFESSOR: 14,
    Person.Role.ASSOCIATE_PROFESSOR: 22,
    Person.Role.RESEARCHER: 22,
    Person.Role.RESEARCH_FELLOW: 12,
    Person.Role.PHD_STUDENT: 15,
    Person.Role.STAFF: 8,
    Person.Role.STUDENT: 7,
}
GENDER_WEIGHTS = {
    Person.Gender.FEMALE: 46,
    Person.Gender.MALE: 49,
    Person.Gender.NON_BINARY: 2,
    Person.Gender.UNDISCLOSED: 3,
}
RESEARCH_ROLES = {
    Person.Role.FULL_PROFESSOR,
    Person.Role.ASSOCIATE_PROFESSOR,
    Person.Role.RESEARCHER,
    Person.Role.RESEARCH_FELLOW,
    Person.Role.PHD_STUDENT,
}
SENIOR_ROLES = {Person.Role.FULL_PROFESSOR, Person.Role.ASSOCIATE_PROFESSOR, Person.Role.RESEARCHER}


def orcid_checksum(digits: str) -> str:
    """ISO 7064 11,2 check digit of the first 15 digits of an ORCID iD."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def fake_orcid() -> str:
    digits = "0000000" + str(rng().choice([1, 2, 3])) + "".join(str(rng().randint(0, 9)) for _ in range(7))
    full = digits + orcid_checksum(digits)
    return "-".join(full[i : i + 4] for i in range(0, 16, 4))


def _degree_programme(person):
    if person.role not in (Person.Role.STUDENT, Person.Role.PHD_STUDENT):
        return None
    if person.role == Person.Role.PHD_STUDENT:
        qs = DegreeProgramme.objects.filter(level=DegreeProgramme.Level.PHD)
    else:
        qs = DegreeProgramme.objects.exclude(level=DegreeProgramme.Level.PHD)
    if person.department is not None and qs.filter(department=person.department).exists():
        qs = qs.filter(department=person.department)
    return pick_one(DegreeProgramme, qs)


# How a short biography opens, by role: (female, male, neutral).
ROLE_OPENINGS = {
    Person.Role.FULL_PROFESSOR: ("Professoressa ordinaria", "Professore ordinario", "Docente di prima fascia"),
    Person.Role.ASSOCIATE_PROFESSOR: ("Professoressa associata", "Professore associato", "Docente di seconda fascia"),
    Person.Role.RESEARCHER: ("Ricercatrice", "Ricercatore", "Svolge attività di ricerca"),
    Person.Role.RESEARCH_FELLOW: ("Assegnista di ricerca", "Assegnista di ricerca", "Assegnista di ricerca"),
    Person.Role.PHD_STUDENT: ("Dottoranda", "Dottorando", "Svolge il dottorato di ricerca"),
    Person.Role.STAFF: ("Tecnica", "Tecnico", "Fa parte del personale tecnico-amministrativo"),
    Person.Role.STUDENT: ("Studentessa", "Studente", "Studia"),
    Person.Role.OTHER: ("Collabora", "Collabora", "Collabora"),
}
BIO_ENDINGS = [
    "Lavora con enti pubblici e organizzazioni del terzo settore su progetti che uniscono ricerca, didattica e "
    "impatto sociale.",
    "Si occupa di innovazione sociale e collabora a progetti con le comunità locali del Piemonte.",
    "Partecipa alle attività di terza missione del dipartimento, con un'attenzione particolare all'inclusione.",
]


def _bio(person) -> str:
    female, male, neutral = ROLE_OPENINGS.get(person.role, ROLE_OPENINGS[Person.Role.OTHER])
    opening = {Person.Gender.FEMALE: female, Person.Gender.MALE: male}.get(person.gender, neutral)
    where = f" presso il {person.department.name_it}" if person.department is not None else " al Politecnico di Torino"
    return f"{opening}{where}. {rng().choice(BIO_ENDINGS)}"


class PersonFactory(UniqueValuesMixin, DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    class Params:
        female = factory.LazyAttribute(lambda o: o.gender == Person.Gender.FEMALE)
        male = factory.LazyAttribute(lambda o: o.gender == Person.Gender.MALE)
        with_orcid = factory.LazyAttribute(lambda o: o.role in RESEARCH_ROLES and rng().random() < 0.8)

    gender = factory.LazyFunction(lambda: _weighted(GENDER_WEIGHTS))
    first_name = factory.Maybe(
        "female",
        it_faker("random_element", elements=FIRST_NAMES_FEMALE),
        factory.Maybe(
            "male",
            it_faker("random_element", elements=FIRST_NAMES_MALE),
            it_faker("random_element", elements=FIRST_NAMES_FEMALE + FIRST_NAMES_MALE),
        ),
    )
    last_name = it_faker("random_element", elements=LAST_NAMES)
    slug = factory.LazyAttribute(lambda o: AutoValue(slugify(f"{o.first_name} {o.last_name}")))
    email = factory.LazyAttribute(lambda o: AutoValue(f"{handle(o.first_name)}.{handle(o.last_name)}@polito.it"))
    role = factory.LazyFunction(lambda: _weighted(ROLE_WEIGHTS))
    department = vocabulary_rows(Department, DepartmentFactory)
    degree_programme = factory.LazyAttribute(_degree_programme)
    orcid = factory.Maybe("with_orcid", factory.LazyFunction(fake_orcid), "")
    public_profile = factory.LazyFunction(lambda: rng().random() < 0.5)
    bio = factory.Maybe("public_profile", factory.LazyAttribute(_bio), "")
    user = None

    competences = set_m2m("competences", Competence, CompetenceFactory, k=(1, 3))


# --- Census campaigns -----------------------------------------------------------------


class CensusCampaignFactory(UniqueValuesMixin, DjangoModelFactory):
    class Meta:
        model = CensusCampaign
        skip_postgeneration_save = True

    year = factory.Sequence(lambda n: 2025 + n % 5)
    name_it = factory.LazyAttribute(lambda o: f"Censimento {o.year}")
    name_en = factory.LazyAttribute(lambda o: f"{o.year} census")
    slug = factory.LazyAttribute(lambda o: AutoValue(f"censimento-{o.year}"))
    description_it = factory.LazyAttribute(
        lambda o: f"Rilevazione annuale delle iniziative a impatto sociale della comunità del Politecnico ({o.year})."
    )
    opens_on = factory.LazyAttribute(lambda o: datetime.date(o.year, 4, 1))
    closes_on = factory.LazyAttribute(lambda o: o.opens_on + datetime.timedelta(days=90))
    reminder_every_days = 7

    target_departments = set_m2m("target_departments")


class CampaignInvitationFactory(DjangoModelFactory):
    class Meta:
        model = CampaignInvitation

    campaign = factory.SubFactory(CensusCampaignFactory)
    person = factory.SubFactory(PersonFactory)
    invited_at = factory.LazyAttribute(lambda o: aware(o.campaign.opens_on, 9))


# --- Initiatives -------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A real place in Piedmont with approximate coordinates."""

    municipality: str
    province: str
    latitude: float
    longitude: float
    area: str = ""  # a neighbourhood of the municipality, if any
    streets: tuple[str, ...] = ()


PIEDMONT_LOCATIONS: dict[str, Location] = {
    location.area or location.municipality: location
    for location in [
        Location("Torino", "TO", 45.0703, 7.6869, "", ("Via Garibaldi", "Via Po", "Corso Vittorio Emanuele II")),
        Location("Torino", "TO", 45.0910, 7.6980, "Barriera di Milano", ("Via Agliè", "Corso Giulio Cesare")),
        Location("Torino", "TO", 45.0835, 7.6880, "Aurora", ("Corso Giulio Cesare", "Via Cecchi")),
        Location("Torino", "TO", 45.0772, 7.6836, "Porta Palazzo", ("Piazza della Repubblica", "Via Borgo Dora")),
        Location("Torino", "TO", 45.0255, 7.6210, "Mirafiori Sud", ("Via Artom", "Corso Unione Sovietica")),
        Location("Torino", "TO", 45.0420, 7.6170, "Mirafiori Nord", ("Corso Orbassano", "Via Guido Reni")),
        Location("Torino", "TO", 45.1100, 7.6390, "Vallette", ("Piazza Montale", "Viale dei Mughetti")),
        Location("Torino", "TO", 45.1295, 7.7040, "Falchera", ("Via degli Abeti", "Via delle Querce")),
        Location("Torino", "TO", 45.0560, 7.6800, "San Salvario", ("Via Morgari", "Via Nizza")),
        Location("Torino", "TO", 45.0965, 7.6715, "Borgo Vittoria", ("Via Chiesa della Salute", "Via Vibò")),
        Location("Torino", "TO", 45.0330, 7.6620, "Lingotto", ("Via Nizza", "Via Passo Buole")),
        Location("Torino", "TO", 45.0890, 7.7090, "Regio Parco", ("Corso Regio Parco", "Via Bologna")),
        Location("Torino", "TO", 45.0655, 7.6255, "Pozzo Strada", ("Corso Francia", "Via Bardonecchia")),
        Location("Moncalieri", "TO", 45.0003, 7.6822, "", ("Strada Genova", "Via Santa Croce")),
        Location("Collegno", "TO", 45.0777, 7.5726, "", ("Via Martiri XXX Aprile", "Corso Francia")),
        Location("Grugliasco", "TO", 45.0680, 7.5780, "", ("Viale Radich", "Via Lupo")),
        Location("Rivoli", "TO", 45.0706, 7.5156, "", ("Corso Susa", "Via Piol")),
        Location("Settimo Torinese", "TO", 45.1386, 7.7700, "", ("Via Italia", "Piazza Campidoglio")),
        Location("Chieri", "TO", 45.0125, 7.8247, "", ("Via Vittorio Emanuele II", "Via Vittorio Veneto")),
        Location("Nichelino", "TO", 44.9950, 7.6467, "", ("Via Torino", "Piazza Di Vittorio")),
        Location("Venaria Reale", "TO", 45.1352, 7.6280, "", ("Via Mensa", "Corso Garibaldi")),
        Location("Ivrea", "TO", 45.4675, 7.8761, "", ("Via Jervis", "Corso Nigra")),
        Location("Pinerolo", "TO", 44.8856, 7.3312, "", ("Corso Torino", "Via Buniva")),
        Location("Susa", "TO", 45.1378, 7.0491, "", ("Via Roma", "Corso Inghilterra")),
        Location("Carmagnola", "TO", 44.8466, 7.7180, "", ("Via Valobra", "Piazza Sant'Agostino")),
        Location("Biella", "BI", 45.5667, 8.0533, "", ("Via Italia", "Via Torino")),
        Location("Cuneo", "CN", 44.3844, 7.5427, "", ("Via Roma", "Corso Nizza")),
        Location("Alba", "CN", 44.7003, 8.0353, "", ("Via Vittorio Emanuele II", "Corso Langhe")),
        Location("Bra", "CN", 44.6986, 7.8553, "", ("Via Cavour", "Corso Garibaldi")),
        Location("Mondovì", "CN", 44.3955, 7.8187, "", ("Corso Statuto", "Piazza Ellero")),
        Location("Alessandria", "AL", 44.9127, 8.6150, "", ("Via Milano", "Corso Roma")),
        Location("Casale Monferrato", "AL", 45.1339, 8.4522, "", ("Via Roma", "Corso Indipendenza")),
        Location("Asti", "AT", 44.9000, 8.2068, "", ("Corso Alfieri", "Via Cavour")),
        Location("Novara", "NO", 45.4469, 8.6220, "", ("Corso Cavour", "Via Fratelli Rosselli")),
        Location("Vercelli", "VC", 45.3202, 8.4185, "", ("Corso Libertà", "Via Dante")),
        Location("Verbania", "VB", 45.9218, 8.5519, "", ("Corso Garibaldi", "Via San Vittore")),
    ]
}


def jitter(value: float, spread: float = 0.004) -> Decimal:
    """Move a coordinate a little (a few hundred metres) and keep 6 decimals."""
    return Decimal(str(round(value + rng().uniform(-spread, spread), 6))).quantize(Decimal("0.000001"))


# Default wording for initiatives built without explicit texts: a head and a
# setting read naturally together ("Laboratori di ... a Barriera di Milano").
DEFAULT_HEADS = [
    (
        "Co-progettazione di alloggi accessibili per persone anziane",
        "Co-design of accessible housing for older people",
        "abitare accessibile, co-progettazione, anziani",
    ),
    (
        "Comunità energetica rinnovabile e solidale",
        "A renewable and solidarity energy community",
        "comunità energetiche, povertà energetica, fotovoltaico",
    ),
    (
        "Laboratori STEM inclusivi nelle scuole secondarie",
        "Inclusive STEM labs in lower secondary schools",
        "scuola, STEM, inclusione",
    ),
    (
        "Alfabetizzazione digitale per persone anziane",
        "Digital literacy for older people",
        "competenze digitali, anziani, divario digitale",
    ),
    (
        "Mappatura partecipata degli spazi verdi di quartiere",
        "Participatory mapping of neighbourhood green spaces",
        "mappatura partecipata, GIS, verde urbano",
    ),
    (
        "Rete di recupero delle eccedenze alimentari",
        "A network to recover food surplus",
        "spreco alimentare, economia circolare, terzo settore",
    ),
]
DEFAULT_SETTINGS = [
    ("a Barriera di Milano", "in Barriera di Milano", "Barriera di Milano"),
    ("ad Aurora", "in Aurora", "Aurora"),
    ("a Mirafiori Sud", "in Mirafiori Sud", "Mirafiori Sud"),
    ("a Moncalieri", "in Moncalieri", "Moncalieri"),
    ("a Ivrea", "in Ivrea", "Ivrea"),
    ("a Cuneo", "in Cuneo", "Cuneo"),
]


def workflow_steps(state: str, created_at: datetime.datetime, review_rounds: int = 0) -> list[dict]:
    """The workflow moves that led an initiative from draft to `state`, with
    plausible times after `created_at` (see initiatives.workflow)."""
    steps: list[dict] = []
    if state == State.DRAFT:
        return steps
    at = created_at

    def move(frm, to, actor, days, message=""):
        nonlocal at
        day = at.date() + datetime.timedelta(days=rng().randint(*days))
        at = aware(day, rng().randint(8, 18), rng().randint(0, 59))
        steps.append({"from_state": frm, "to_state": to, "actor": actor, "at": at, "message": message})

    move(State.DRAFT, State.SUBMITTED, "author", (1, 10))
    rounds = max(review_rounds, 1 if state == State.CHANGES_REQUESTED else 0)
    for n in range(rounds):
        move(State.SUBMITTED, State.CHANGES_REQUESTED, "reviewer", (2, 7), rng().choice(CHANGE_REQUESTS))
        if state == State.CHANGES_REQUESTED and n == rounds - 1:
            return steps
        move(State.CHANGES_REQUESTED, State.SUBMITTED, "author", (2, 7))
    if state == State.SUBMITTED:
        return steps
    if state == State.REJECTED:
        move(State.SUBMITTED, State.REJECTED, "reviewer", (2, 7), rng().choice(REJECTIONS))
        return steps
    move(State.SUBMITTED, State.PUBLISHED, "reviewer", (2, 7))
    if state == State.ARCHIVED:
        move(State.PUBLISHED, State.ARCHIVED, "reviewer", (300, 600), "Iniziativa conclusa: archiviata.")
    return steps


CHANGE_REQUESTS = [
    "Per favore indica i partner coinvolti e il loro ruolo nel progetto.",
    "Manca una stima delle persone raggiunte: puoi aggiungere almeno un impatto atteso con il relativo indicatore?",
    "Il sommario è troppo tecnico per il pubblico: puoi riscriverlo in due o tre frasi semplici?",
    "Aggiungi per favore il luogo in cui si svolgono le attività e le date di inizio e fine.",
]
REJECTIONS = [
    "Si tratta di un'attività didattica curricolare, che non rientra nel perimetro del censimento.",
    "L'iniziativa è già censita con un'altra scheda: per favore aggiorna quella esistente.",
]


def _last_at(steps: list[dict], to: str):
    times = [step["at"] for step in steps if step["to_state"] == to]
    return times[-1] if times else None


def _first_at(steps: list[dict], to: str):
    times = [step["at"] for step in steps if step["to_state"] == to]
    return times[0] if times else None


def _end_date(o):
    if o.start_date is None or o.ongoing:
        return None
    return o.start_date + datetime.timedelta(days=rng().randint(120, 1100))


def _budget(o):
    return Decimal(rng().randint(4, 300) * 500) if o.funded else None


def _external_funding(o):
    if o.budget is None or rng().random() < 0.3:
        return None
    return (o.budget * Decimal(rng().randint(20, 100)) / 100).quantize(Decimal("1"))


class InitiativeFactory(UniqueValuesMixin, DjangoModelFactory):
    """An initiative in `state` (draft unless a trait says otherwise, e.g.
    `InitiativeFactory(published=True)`), with a lead contact, one
    department, sector, theme and one or two SDGs from the reference data,
    and the StateTransition rows of the steps it went through.

    Pass `lead=person` (or `lead=False`), `members=[...]`, and lists for any
    many-to-many field; `transitions__reviewer=user` names the reviewer.
    """

    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    class Params:
        english = factory.LazyFunction(lambda: rng().random() < 0.5)
        ongoing = factory.LazyFunction(lambda: rng().random() < 0.4)
        funded = factory.LazyFunction(lambda: rng().random() < 0.75)
        review_rounds = 0
        head = factory.LazyFunction(lambda: rng().choice(DEFAULT_HEADS))
        setting = factory.LazyFunction(lambda: rng().choice(DEFAULT_SETTINGS))
        reached = factory.LazyAttribute(lambda o: o.state in (State.PUBLISHED, State.ARCHIVED))

        submitted = factory.Trait(state=State.SUBMITTED)
        changes_requested = factory.Trait(state=State.CHANGES_REQUESTED)
        published = factory.Trait(state=State.PUBLISHED)
        rejected = factory.Trait(state=State.REJECTED)
        archived = factory.Trait(state=State.ARCHIVED)

    title_it = factory.LazyAttribute(lambda o: f"{o.head[0]} {o.setting[0]}")
    title_en = factory.Maybe("english", factory.LazyAttribute(lambda o: f"{o.head[1]} {o.setting[1]}"), None)
    slug = factory.LazyAttribute(lambda o: AutoValue(slugify(o.title_it)[:80].rstrip("-")))
    summary_it = factory.LazyAttribute(
        lambda o: (
            f"{o.head[0]} {o.setting[0]}, con docenti, studenti e organizzazioni del territorio. "
            "Il progetto mette le competenze del Politecnico al servizio della comunità locale."
        )
    )
    summary_en = factory.Maybe(
        "english",
        factory.LazyAttribute(
            lambda o: (
                f"{o.head[1]} {o.setting[1]}, with lecturers, students and local organisations. "
                "The project puts the Politecnico's expertise at the service of the local community."
            )
        ),
        None,
    )
    description_it = factory.LazyAttribute(
        lambda o: (
            f"{o.summary_it}\n\nLe attività sono svolte {o.setting[0]} in collaborazione con enti "
            "pubblici e del terzo settore, con momenti di restituzione pubblica dei risultati."
        )
    )
    objectives_it = "- Coinvolgere la comunità locale\n- Produrre dati aperti\n- Valutare l'impatto sociale"
    keywords = factory.LazyAttribute(lambda o: o.head[2])
    scale = factory.LazyFunction(lambda: _weighted({"local": 6, "regional": 3, "national": 1, "international": 1}))
    state = State.DRAFT
    created_at = factory.LazyFunction(lambda: working_time(datetime.date(2023, 1, 9), datetime.date(2025, 12, 19)))
    start_date = factory.LazyAttribute(lambda o: o.created_at.date() - datetime.timedelta(days=rng().randint(0, 540)))
    end_date = factory.LazyAttribute(_end_date)
    budget = factory.LazyAttribute(_budget)
    external_funding = factory.LazyAttribute(_external_funding)
    participants = factory.Maybe("reached", factory.LazyFunction(lambda: rng().randint(15, 2500)), None)
    web_accesses = factory.Maybe("reached", factory.LazyFunction(lambda: rng().randint(200, 30000)), None)

    # Not model fields: popped in _create/_build and used by `transitions`.
    workflow_steps = factory.LazyAttribute(lambda o: workflow_steps(o.state, o.created_at, o.review_rounds))
    submitted_at = factory.LazyAttribute(lambda o: _last_at(o.workflow_steps, State.SUBMITTED))
    published_at = factory.LazyAttribute(lambda o: _first_at(o.workflow_steps, State.PUBLISHED))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        steps = kwargs.pop("workflow_steps", None) or []
        for name, value in list(kwargs.items()):
            if isinstance(value, AutoValue):
                kwargs[name] = make_unique(model_class, name, str(value)) if value else ""
        # History is recorded once, by `record_history`, when the
        # many-to-many fields are set too (not once per field).
        obj = model_class(*args, **kwargs)
        obj.skip_history_when_saving = True
        obj.save(force_insert=True)
        obj._workflow_steps = steps
        return obj

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        steps = kwargs.pop("workflow_steps", None) or []
        obj = super()._build(model_class, *args, **kwargs)
        obj._workflow_steps = steps
        return obj

    @factory.post_generation
    def lead(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        person = extracted if extracted is not None else PersonFactory(**kwargs)
        ParticipationFactory(initiative=obj, person=person, role=Participation.Role.LEAD, can_edit=True, position=0)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for position, person in enumerate(extracted, start=1):
            ParticipationFactory(initiative=obj, person=person, role=Participation.Role.MEMBER, position=position)

    @factory.post_generation
    def departments(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is not None:
            obj.departments.set(extracted)
            return
        lead = obj.participations.filter(role=Participation.Role.LEAD).select_related("person__department").first()
        if lead is not None and lead.person.department is not None:
            obj.departments.set([lead.person.department])
        else:
            obj.departments.set(pick(Department, 1, fallback=DepartmentFactory))

    sectors = set_m2m("sectors", Sector, SectorFactory)
    themes = set_m2m("themes", Theme, ThemeFactory)
    support_kinds = set_m2m("support_kinds")
    target_groups = set_m2m("target_groups")
    priorities = set_m2m("priorities")
    pe_categories = set_m2m("pe_categories")
    fields_of_action = set_m2m("fields_of_action")
    intervention_areas = set_m2m("intervention_areas")
    strategic_objectives = set_m2m("strategic_objectives")
    performance_objectives = set_m2m("performance_objectives")

    @factory.post_generation
    def sdgs(obj, create, extracted, **kwargs):
        if not create:
            return
        if extracted is not None:
            obj.sdgs.set(extracted)
            return
        obj.sdgs.set(pick(SDG, rng().randint(1, 2), fallback=SDGFactory))

    @factory.post_generation
    def transitions(obj, create, extracted, **kwargs):
        """One StateTransition per workflow step: by the creator (or
        `transitions__author`) and `transitions__reviewer`."""
        if not create or extracted is False:
            return
        author = kwargs.get("author", obj.created_by)
        reviewer = kwargs.get("reviewer")
        rows = [
            StateTransitionFactory.build(
                initiative=obj,
                from_state=step["from_state"],
                to_state=step["to_state"],
                at=step["at"],
                by=author if step["actor"] == "author" else reviewer,
                message=step["message"],
            )
            for step in getattr(obj, "_workflow_steps", [])
        ]
        StateTransition.objects.bulk_create(rows)

    @factory.post_generation
    def record_history(obj, create, extracted, **kwargs):
        """One "created" history record holding the complete initiative."""
        if not create or not hasattr(obj, "skip_history_when_saving"):
            return
        del obj.skip_history_when_saving
        obj.save(update_fields=["updated_at"])
        obj.history.update(history_type="+")


class ParticipationFactory(DjangoModelFactory):
    class Meta:
        model = Participation

    class Params:
        lead = factory.Trait(role=Participation.Role.LEAD, can_edit=True, position=0)

    initiative = factory.SubFactory(InitiativeFactory, lead=False)
    person = factory.SubFactory(PersonFactory)
    role = Participation.Role.MEMBER
    contribution = ""
    can_edit = False
    position = factory.Sequence(lambda n: n % 5 + 1)


class PlaceFactory(DjangoModelFactory):
    """A place in Piedmont with real approximate coordinates (slightly moved)."""

    class Meta:
        model = Place

    class Params:
        location = factory.LazyFunction(lambda: rng().choice(list(PIEDMONT_LOCATIONS.values())))

    initiative = factory.SubFactory(InitiativeFactory)
    municipality = factory.LazyAttribute(lambda o: o.location.municipality)
    province = factory.LazyAttribute(lambda o: o.location.province)
    region = "Piemonte"
    country = "IT"
    address = factory.LazyAttribute(
        lambda o: f"{rng().choice(o.location.streets)} {rng().randint(1, 120)}" if o.location.streets else ""
    )
    latitude = factory.LazyAttribute(lambda o: jitter(o.location.latitude))
    longitude = factory.LazyAttribute(lambda o: jitter(o.location.longitude))


class StateTransitionFactory(DjangoModelFactory):
    class Meta:
        model = StateTransition

    initiative = factory.SubFactory(InitiativeFactory)
    from_state = State.DRAFT
    to_state = State.SUBMITTED
    at = factory.LazyAttribute(lambda o: o.initiative.created_at + datetime.timedelta(days=3))
    message = ""
