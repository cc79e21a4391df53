"""The portal the fault scripts break: a private PostgreSQL and Redis with
the reference data, a researcher with complete drafts to submit, and the
environment of every process started on them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.services import Postgres, Redis, environment, manage, shell

RESEARCHER = "ricercatrice"
PASSWORD = "pops-demo-2026"

SETUP = """
import json
from impact.factories import ImpactFactory
from initiatives.factories import InitiativeFactory, ParticipationFactory, PersonFactory, PlaceFactory, UserFactory
from impact.models import SDG
from initiatives.models import Department, Initiative, Participation, Sector
from initiatives.services.initiatives import missing_for_submission

user = UserFactory(username="%(username)s", email="giulia.ferrero@polito.it")
user.set_password("%(password)s")
user.save()
person = PersonFactory(user=user, email=user.email)
ids = []
for n in range(%(drafts)d):
    i = InitiativeFactory(created_by=user, state="draft", lead=False, title_it=f"Bozza completa {n}")
    ParticipationFactory(initiative=i, person=person, role=Participation.Role.LEAD, can_edit=True)
    complete = {"summary_it": "Sintesi", "start_date": "2025-01-01", "end_date": None, "scale": "local"}
    Initiative.objects.filter(pk=i.pk).update(**complete)
    i.refresh_from_db()
    i.departments.set([Department.objects.first()])
    i.sectors.set([Sector.objects.filter(is_other=False).first()])
    i.sdgs.set([SDG.objects.first()])
    PlaceFactory(initiative=i)
    ImpactFactory(initiative=i)
    assert not missing_for_submission(i), missing_for_submission(i)
    ids.append(i.pk)
print(json.dumps(ids))
"""


@dataclass
class Site:
    folder: Path
    postgres: Postgres
    redis: Redis
    drafts: list[int] = field(default_factory=list)

    @property
    def mailbox(self) -> Path:
        return self.folder / "mailbox.jsonl"

    def env(self, **variables: str) -> dict[str, str]:
        return environment(
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            CELERY_TASK_ALWAYS_EAGER="false",
            POPS_CACHE_DIR=str(self.folder / "cache"),
            MEDIA_ROOT=str(self.folder / "media"),
            PRIVATE_MEDIA_ROOT=str(self.folder / "private"),
            EMAIL_BACKEND="tests.faults.mailbox.EmailBackend",
            FAULTS_MAILBOX=str(self.mailbox),
            RATELIMIT_ENABLE="false",
            # An unreachable Redis must cost a request little.
            REDIS_CONNECT_TIMEOUT="0.2",
            REDIS_TIMEOUT="0.2",
            **variables,
        )

    def close(self) -> None:
        self.redis.close()
        self.postgres.close()


def build(folder: Path, *, drafts: int) -> Site:
    site = Site(folder, Postgres(folder), Redis(folder))
    try:
        env = site.env()
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_reference_data")
        site.drafts = json.loads(
            shell(env, SETUP % {"username": RESEARCHER, "password": PASSWORD, "drafts": drafts}).splitlines()[-1]
        )
    except BaseException:
        site.close()  # no private server left running after a failed build
        raise
    return site
