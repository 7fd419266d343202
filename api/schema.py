"""OpenAPI details every operation shares: the bearer scheme, the scope it needs (in its
description) and the error answers (401, 403, 429, and 400 / 404 where they can happen)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.permissions import required_scope


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, readable by a person.")
    errors = serializers.DictField(
        required=False,
        child=serializers.JSONField(),
        help_text="Invalid input only: the messages per field (`non_field_errors` for the request as a whole).",
    )


ERRORS = {
    "400": "Invalid input: the body or a query parameter (see `errors`).",
    "401": "No token, a malformed, unknown or revoked token.",
    "403": "The token lacks the scope this operation needs.",
    "404": "No such object.",
    "429": "Too many requests for this token; retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    def get_description(self):
        description = super().get_description() or ""
        scope = required_scope(self.view, self.method)
        if scope:
            description = f"{description}\n\nRequired scope: `{scope}`.".strip()
        return description

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if required_scope(self.view, self.method) is None:
            return responses  # the schema and docs themselves
        codes = ["401", "403", "429"]
        if (
            self.method in ("POST", "PUT", "PATCH")
            or self._is_list_view()
            or self.get_filter_backends()
            or getattr(self.view, "query_serializer", None)
        ):
            codes.insert(0, "400")
        if "{" in self.path:
            codes.append("404")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code, direction=direction
                )
        return dict(sorted(responses.items()))


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`kl_…`) created by an admin under API tokens. Each operation "
            "names the scope it needs.",
        }


class ContactRowListField(OpenApiSerializerFieldExtension):
    """The contact rows of an upsert: an array with its size limits (drf-spectacular leaves them out)."""

    target_class = "api.serializers.ContactRowList"

    def map_serializer_field(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(self.target.child, direction)
        return {
            "type": "array",
            "items": component.ref,
            "minItems": self.target.min_length or 1,
            "maxItems": self.target.max_length,
        }
