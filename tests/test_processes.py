"""State that stays right across processes: the showcase a web server shows
follows what another process (a management command, an import) commits.

The server runs without Redis, as the embedded default does: each process has
its own memory cache, and only the version token in the database ties them.
"""

import json
import re

from tests.processes import Server, copy_of, manage


def shown(server: Server, path: str = "/it/iniziative/") -> str:
    status, body, _headers = server.get(path)
    assert status == 200, (path, status)
    return body


def count_on_list(body: str) -> int:
    match = re.search(r'role="status"><strong>(\d+) ', body)
    assert match, "the list shows no count"
    return int(match.group(1))


def shell(database, code: str) -> str:
    return manage(database, "shell", "--no-imports", "-c", code).stdout.strip()


def test_a_management_command_that_publishes_is_seen_by_the_running_showcase(demo_database, tmp_path):
    database = copy_of(demo_database, tmp_path)
    slug = shell(
        database,
        "from initiatives.models import Initiative as I; "
        "print(I.objects.filter(state='submitted', revision_of=None).order_by('pk').first().slug)",
    )
    with Server(database) as server:
        before = shown(server)  # now cached in the server's memory
        assert shown(server) == before
        assert server.get(f"/it/iniziative/{slug}/")[0] == 404

        # A plain save in another process: only the signal receivers, connected
        # in that process's AppConfig.ready(), can tell the showcase.
        shell(
            database,
            "from initiatives.models import Initiative as I; "
            f"i = I.objects.get(slug='{slug}'); i.state = 'published'; i.save()",
        )

        assert count_on_list(shown(server)) == count_on_list(before) + 1
        assert server.get(f"/it/iniziative/{slug}/")[0] == 200


def test_two_processes_agree_on_the_showcase_after_an_import(demo_database, tmp_path):
    """An import never publishes: it updates a published initiative (named by
    its slug), and every worker shows the new title at once."""
    database = copy_of(demo_database, tmp_path)
    slug = shell(
        database,
        "from initiatives.models import Initiative as I; "
        "print(I.objects.filter(state='published', revision_of=None).order_by('pk').first().slug)",
    )
    upload = tmp_path / "aggiornate.csv"
    upload.write_text(f"slug;title_it\n{slug};Orto didattico di quartiere\n", encoding="utf-8")
    # Two server processes, each with its own memory cache.
    with Server(database, workers=2) as server:
        api = lambda: json.loads(server.get("/api/initiatives/")[1])["count"]  # noqa: E731
        lists = {count_on_list(shown(server)) for _ in range(6)}
        pages = {"Orto didattico di quartiere" in shown(server, f"/it/iniziative/{slug}/") for _ in range(6)}
        before = api()
        assert lists == {before} and pages == {False}

        result = manage(database, "import_initiatives", str(upload))
        assert "aggiornate: 1 " in result.stdout, result.stdout

        # Whichever worker answers, the list, the page and the API agree.
        lists = {count_on_list(shown(server)) for _ in range(6)}
        pages = {"Orto didattico di quartiere" in shown(server, f"/it/iniziative/{slug}/") for _ in range(6)}
        assert lists == {before} and api() == before and pages == {True}
        assert "Orto didattico di quartiere" in shown(server, "/it/iniziative/?q=orto")
