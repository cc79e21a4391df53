from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema

ERROR = {"type": "object", "additionalProperties": True}


class PublicAutoSchema(AutoSchema):
    """Documents the errors every read can answer: 400 for a bad filter
    value, 404 for an unknown object or a page past the end."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        error = {"content": {"application/json": {"schema": ERROR}}}
        if self.view.action == "list":
            responses.setdefault("400", {**error, "description": str(_("Invalid filter value."))})
        responses.setdefault("404", {**error, "description": str(_("Not found."))})
        return responses
