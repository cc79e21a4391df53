from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from initiatives.exchange.urls import page_urlpatterns as opendata_page_urlpatterns
from initiatives.showcase.sitemaps import sitemaps
from pops import views
from pops.auth import ThrottledPasswordResetForm

handler500 = "pops.views.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("health/", views.health, name="health"),
    path("api/", include("initiatives.api.urls")),
    path("opendata/", include("initiatives.exchange.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    # Before Django's own: a GET asks to confirm rather than answering 405.
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=ThrottledPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("census/", include("initiatives.census.urls")),
    path("", include(opendata_page_urlpatterns)),
    path("", include("initiatives.showcase.urls")),
    prefix_default_language=True,
)

if settings.POPS_SAML_ENABLED:
    # Outside the language prefix: the IdP knows one address of each.
    urlpatterns += [path("saml2/", include("pops.saml.urls"))]

if settings.POPS_ORCID_ENABLED:
    # Outside the language prefix: ORCID knows one redirect URI.
    urlpatterns += [path("accounts/orcid/", include("pops.orcid.urls"))]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
