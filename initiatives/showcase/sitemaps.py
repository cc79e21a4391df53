"""sitemap.xml: every public page, in both languages, with hreflang alternates."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from initiatives.models import Department, Initiative, Person, Sector, SitePage


class ShowcaseSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class StaticPagesSitemap(ShowcaseSitemap):
    priority = 0.8

    def items(self):
        return ["home", "initiative-list", "initiative-map", "people", "statistics"]

    def location(self, item):
        return reverse(item)


class SitePagesSitemap(StaticPagesSitemap):
    """The open data page and the pages of the footer."""

    priority = 0.3

    def items(self):
        return ["opendata-page", *SitePage.URL_NAMES.values()]


class InitiativeSitemap(ShowcaseSitemap):
    priority = 0.7

    def items(self):
        return Initiative.objects.public().only("slug", "updated_at").order_by("id")

    def lastmod(self, initiative):
        return initiative.updated_at


class PersonSitemap(ShowcaseSitemap):
    def items(self):
        return Person.objects.in_directory().only("slug").order_by("id")


class DepartmentSitemap(ShowcaseSitemap):
    def items(self):
        return Department.objects.only("code").order_by("id")

    def location(self, department):
        return reverse("department-detail", kwargs={"code": department.code})


class SectorSitemap(ShowcaseSitemap):
    def items(self):
        return Sector.objects.only("code").order_by("id")

    def location(self, sector):
        return reverse("sector-detail", kwargs={"code": sector.code})


sitemaps = {
    "pages": StaticPagesSitemap,
    "site": SitePagesSitemap,
    "initiatives": InitiativeSitemap,
    "people": PersonSitemap,
    "departments": DepartmentSitemap,
    "sectors": SectorSitemap,
}
