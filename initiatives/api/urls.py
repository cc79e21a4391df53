from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from initiatives.api import views

router = DefaultRouter(use_regex_path=True)
router.register("initiatives", views.InitiativeViewSet, basename="api-initiative")
router.register("organisations", views.OrganisationViewSet, basename="api-organisation")
router.register("sdgs", views.SDGViewSet, basename="api-sdg")
router.register("vocabularies/departments", views.DepartmentViewSet, basename="api-department")
router.register("vocabularies/sectors", views.SectorViewSet, basename="api-sector")
router.register("vocabularies/themes", views.ThemeViewSet, basename="api-theme")
router.register("vocabularies/fields-of-action", views.FieldOfActionViewSet, basename="api-field-of-action")
router.register("vocabularies/pe-categories", views.PublicEngagementCategoryViewSet, basename="api-pe-category")
router.register("vocabularies/intervention-areas", views.InterventionAreaViewSet, basename="api-intervention-area")
router.register("vocabularies/organisation-types", views.OrganisationTypeViewSet, basename="api-organisation-type")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves the script that starts Swagger UI as a file of its
    # own: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", views.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include(router.urls)),
]
