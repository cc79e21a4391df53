from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from .models import Initiative, Person


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    published = Initiative.objects.published()
    figures = published.aggregate(
        initiatives=Count("id", distinct=True),
        departments=Count("departments", distinct=True),
        partners=Count("partnerships__organisation", distinct=True),
    )
    figures["people_reached"] = (
        published.aggregate(total=Sum("impacts__people_reached", filter=Q(impacts__kind="achieved")))["total"] or 0
    )
    latest = published.prefetch_related("departments", "sectors")[:6]
    return render(request, "initiatives/home.html", {"figures": figures, "latest": latest})


def initiative_detail(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = get_object_or_404(
        Initiative.objects.published().prefetch_related(
            "departments",
            "sectors",
            "themes",
            "sdgs",
            "intervention_areas",
            "places",
            "products__category",
            "impacts",
            "partnerships__organisation__type",
            "participations__person__department",
        ),
        slug=slug,
    )
    return render(request, "initiatives/initiative_detail.html", {"initiative": initiative})


def person_detail(request: HttpRequest, slug: str) -> HttpResponse:
    person = get_object_or_404(Person.objects.in_directory().select_related("department"), slug=slug)
    initiatives = Initiative.objects.published().filter(participations__person=person)
    return render(
        request,
        "initiatives/person_detail.html",
        {"person": person, "initiatives": initiatives, "competences": person.competences.all()},
    )
