"""No publishing without the workflow: the state of an initiative changes only
through the review page and the bulk publication (initiatives/admin_review.py),
never through a change form, an inline, a list, a history revert or an
internal table. Every admin change form is read from the registry."""

import pytest
from django.contrib import admin
from django.urls import reverse

from initiatives.models import Initiative, StateTransition
from tests.initiatives.test_cover_alt import FormFields
from tests.test_admin_permissions import MODEL_ADMINS, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db
S = Initiative.State

WORKFLOW_VALUES = {"state": S.PUBLISHED, "to_state": S.PUBLISHED, "from_state": S.SUBMITTED}


def _workflow():
    """Every initiative's workflow fields, and the transitions recorded."""
    return (
        list(Initiative.objects.order_by("pk").values_list("pk", "state", "submitted_at", "published_at")),
        list(StateTransition.objects.order_by("pk").values_list("pk", "from_state", "to_state", "by", "at")),
    )


def _form_data(client, url: str, form_id: str) -> dict:
    parser = FormFields(form_id)
    parser.feed(client.get(url).content.decode())
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    # A state for the form itself and for the first row of every inline.
    data.update(WORKFLOW_VALUES)
    for name in [key for key in data if key.endswith("-TOTAL_FORMS")]:
        prefix = name.removesuffix("-TOTAL_FORMS")
        data.update({f"{prefix}-0-{field}": value for field, value in WORKFLOW_VALUES.items()})
    return data


@pytest.fixture
def superuser(client):
    from initiatives.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=[m._meta.label for m, _a in MODEL_ADMINS])
def test_no_change_form_moves_an_initiative(client, superuser, world, model, model_admin):  # noqa: F811
    obj = model._default_manager.order_by("pk").first()
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    before = _workflow()
    data = _form_data(client, url, f"{opts.model_name}_form")
    response = client.post(url, data)
    # Saved (302), refused (403: the internal tables are read-only), or shown again (200).
    assert response.status_code in (200, 302, 403)
    assert _workflow() == before


def test_the_change_form_saves_other_fields_and_keeps_the_state(client, superuser, world):  # noqa: F811
    initiative = world["submitted"]
    url = reverse("admin:initiatives_initiative_change", args=[initiative.pk])
    data = {**_form_data(client, url, "initiative_form"), "summary_it": "Riassunto nuovo"}
    assert client.post(url, data).status_code == 302  # the form was valid: the post was not simply refused
    initiative.refresh_from_db()
    assert initiative.summary_it == "Riassunto nuovo"
    assert (initiative.state, initiative.published_at) == (S.SUBMITTED, None)


def test_adding_an_initiative_in_the_admin_starts_a_draft(client, superuser):
    url = reverse("admin:initiatives_initiative_add")
    data = {**_form_data(client, url, "initiative_form"), "title_it": "Nuova dal back office", "slug": "nuova-bo"}
    client.post(url, data)
    created = Initiative.objects.get(slug="nuova-bo")
    assert (created.state, created.published_at) == (S.DRAFT, None)
    assert not StateTransition.objects.filter(initiative=created).exists()


def test_a_history_revert_keeps_the_state(client, superuser, world):  # noqa: F811
    initiative = world["submitted"]
    version = initiative.history.latest("history_date")
    url = reverse("admin:initiatives_initiative_simple_history", args=[initiative.pk, version.history_id])
    before = _workflow()
    assert client.post(url, _form_data(client, url, "initiative_form")).status_code == 302
    assert _workflow() == before


def test_the_state_is_read_only_and_never_listed_for_editing(rf):
    request = rf.get("/")
    from initiatives.factories import UserFactory

    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    initiative_admin = admin.site._registry[Initiative]
    assert "state" in initiative_admin.get_readonly_fields(request)
    for model, model_admin in MODEL_ADMINS:
        assert not {"state", "to_state", "from_state"} & set(model_admin.list_editable), model
        for inline in model_admin.get_inline_instances(request):
            if inline.model is StateTransition:
                assert not inline.has_add_permission(request, None)
                assert set(inline.get_readonly_fields(request)) >= {"from_state", "to_state"}
