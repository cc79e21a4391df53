"""The admin home page's desk (initiatives/admin_desk.py)."""

from django import template

from initiatives.admin_desk import desk_context

register = template.Library()


@register.simple_tag(takes_context=True)
def pops_desk(context) -> dict:
    return desk_context(context["request"], context.get("app_list", []))
