"""Template helpers of the public showcase."""

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.urls import translate_url
from django.utils.html import escape, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info

from initiatives.showcase.colours import contrasting_text_color
from pops.text import simple_markup
from stakeholders.models import Partnership

register = template.Library()


@register.filter
def lang_attr(obj, field: str) -> str:
    """` lang="it"` for the text `field` of `obj` (an initiative, or a card
    that says which language each text is in) when the page is in another
    language and the translation is missing, so that modeltranslation shows
    the Italian: screen readers then read it as Italian. Empty otherwise."""
    current = get_language() or settings.LANGUAGE_CODE
    shown = getattr(obj, f"{field}_language", None)
    if shown is None:
        translated = current == settings.LANGUAGE_CODE or getattr(obj, f"{field}_{current}", None)
        shown = current if translated else settings.LANGUAGE_CODE
    return mark_safe(f' lang="{escape(shown)}"') if shown != current else ""


@register.filter
def figure(value) -> str:
    """A number as the page's language writes it, the same way everywhere:
    thousands grouped, decimals only where the value has them (Italian
    "1.200" and "1.200,5"; English "1,200" and "1,200.5"). Empty for None,
    so that `|default:"—"` shows a missing value."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return intcomma(value)
    return floatformat(value, "-2g")


@register.filter
def markup(text: str) -> str:
    """Text staff typed in the admin, with its paragraphs, headings, lists
    and links, escaped (`pops.text.simple_markup`)."""
    return simple_markup(text)


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """This page in each language: code, local name, relative and absolute URL,
    and whether it is the current one. Plain links (no form, no CSRF token), so
    that a page served from the cache switches language as well."""
    request = context["request"]
    path = request.get_full_path()
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        links.append(
            {
                "code": code,
                "name_local": get_language_info(code)["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url),
                "current": code == current,
            }
        )
    return links


@register.simple_tag
def facet_options(facet) -> str:
    """The inputs of a facet of the list, one per option with its count.
    Written here rather than as a template loop: a list page shows over a
    hundred of them, and the template engine took a quarter of its time.
    Every text from the data is escaped; the rest is this function's own."""
    kind = "radio" if facet.name == "status" else "checkbox"
    name = escape(facet.name)
    rows = []
    for number, option in enumerate(facet.options, start=1):
        dot = (
            f'<span class="pops-dot pops-sdg-{escape(option.value)}" aria-hidden="true"></span>' if option.color else ""
        )
        checked = " checked" if option.selected else ""
        rows.append(
            f'<div class="form-check"><input id="f-{name}-{number}" type="{kind}" name="{name}"'
            f' value="{escape(option.value)}"{checked}><label for="f-{name}-{number}">{dot}{escape(option.label)}'
            f' <span class="pops-count">({escape(intcomma(option.count))})</span></label></div>'
        )
    return mark_safe("\n".join(rows))


@register.filter
def page_window(page, radius: int = 2) -> list:
    """The page numbers a pagination bar shows: the first, the last and those
    within `radius` of the current one, with None for each gap (the bar stays
    a few items long whatever the number of pages)."""
    last, current = page.paginator.num_pages, page.number
    numbers = sorted({1, last, *range(max(1, current - radius), min(last, current + radius) + 1)})
    window: list = []
    for number in numbers:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


@register.simple_tag(takes_context=True)
def toggle_query(context, name: str, value) -> str:
    """The current query string with `name=value` added, or removed if present
    (back to the first page)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    values = query.getlist(name)
    value = str(value)
    query.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return "?" + query.urlencode() if query else "?"


@register.simple_tag(takes_context=True)
def replace_query(context, name: str, value) -> str:
    """The current query string with `name` set to `value` (e.g. a page)."""
    query = context["request"].GET.copy()
    query[name] = str(value)
    return "?" + query.urlencode()


@register.filter
def text_color(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (#RRGGBB)."""
    return contrasting_text_color(background) if isinstance(background, str) else "#000000"


@register.simple_tag(takes_context=True)
def initiative_json_ld(context, initiative) -> str:
    """schema.org metadata of an initiative (a Project)."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "Project",
        "name": initiative.title,
        "description": initiative.summary,
        "url": request.build_absolute_uri(initiative.get_absolute_url()),
        "inLanguage": context.get("LANGUAGE_CODE", "it"),
        "parentOrganization": {"@type": "CollegeOrUniversity", "name": "Politecnico di Torino"},
    }
    if initiative.keywords:
        data["keywords"] = initiative.keyword_list
    if initiative.start_date:
        data["foundingDate"] = initiative.start_date.isoformat()
    if initiative.end_date:
        data["dissolutionDate"] = initiative.end_date.isoformat()
    if initiative.website:
        data["sameAs"] = initiative.website
    places = list(initiative.places.all())
    if places:
        data["location"] = [
            {
                "@type": "Place",
                "name": str(place),
                **(
                    {
                        "geo": {
                            "@type": "GeoCoordinates",
                            "latitude": float(place.latitude),
                            "longitude": float(place.longitude),
                        }
                    }
                    if place.has_coordinates
                    else {}
                ),
            }
            for place in places
        ]
    partners = Partnership.names(initiative, Partnership.ALL_ROLES)
    if partners:
        data["member"] = [{"@type": "Organization", "name": name} for name in partners]
    # json_script escapes <, > and & inside the JSON: safe to mark as such.
    return mark_safe(
        json_script(data, "initiative-jsonld").replace('type="application/json"', 'type="application/ld+json"')
    )
