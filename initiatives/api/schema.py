from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiFilterExtension
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
        responses.setdefault("429", {**error, "description": str(_("Too many requests: see Retry-After."))})
        return responses


# A NUL byte in any parameter is refused with a 400 (pops.security.RejectNulMiddleware).
NO_NUL = "^[^\\x00]*$"


def no_nul_in_parameters(result, generator, request, public):
    """drf-spectacular post-processing hook: every string parameter says it
    holds no NUL byte."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                for node in (schema, schema.get("items", {})):
                    if node.get("type") == "string" and "enum" not in node:
                        node.setdefault("pattern", NO_NUL)
    return result


class InitiativeFilterExtension(OpenApiFilterExtension):
    """The query parameters of the initiative list, generated from its filter
    set (the showcase's): drf-spectacular's own guess cannot type filters that
    work through a method, as most of the showcase's do."""

    target_class = "initiatives.api.filters.InitiativeFilterBackend"
    priority = 1  # before drf-spectacular's extension for every DjangoFilterBackend

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        from initiatives.api.filters import filter_parameters

        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        return filter_parameters(auto_schema, filterset_class) if filterset_class else []
