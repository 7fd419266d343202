"""OpenAPI details every operation shares: the bearer scheme, the scope it needs (in its
description) and the error answers (401, 403, 406, 429, and 400 / 404 / 413 / 415 where they can happen), all
in one `Error` shape: {"detail": "…", "errors": {field: […]}}."""

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
    "400": "Invalid input: the body or a query parameter, including an unknown one (see `errors`).",
    "401": "No token, a malformed, unknown or revoked token.",
    "403": "The token lacks the scope this operation needs.",
    "404": "No such object.",
    "406": "The `Accept` header allows no JSON (leave it out, or send `application/json`).",
    "413": "The body is larger than the server takes (2 MB by default): split it into several calls.",
    "415": "The body is not JSON (send `Content-Type: application/json`).",
    "429": "Too many requests for this token; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until the next call is allowed."}}


def error_codes(operation: dict) -> list[str]:
    """The error answers an operation can give, by what it takes: a body or query parameters can be
    invalid (400; a body can also be too large, 413, or no JSON at all, 415), an id in the path can
    be unknown (404). Every operation needs a token (401) with a scope (403), answers JSON only (406)
    and counts against its budget (429)."""
    codes = ["401", "403", "406", "429"]
    parameters = operation.get("parameters", [])
    if "requestBody" in operation or any(parameter["in"] == "query" for parameter in parameters):
        codes.append("400")
    if "requestBody" in operation:
        codes += ["413", "415"]
    if any(parameter["in"] == "path" for parameter in parameters):
        codes.append("404")
    return codes


class ApiAutoSchema(AutoSchema):
    def get_description(self):
        description = super().get_description() or ""
        scope = required_scope(self.view, self.method)
        if scope:
            description = f"{description}\n\nRequired scope: `{scope}`.".strip()
        return description

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None or required_scope(self.view, self.method) is None:
            return operation  # the schema and docs themselves
        responses = operation["responses"]
        for code in error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code
                )
        responses["429"].setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation


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


class RowListField(OpenApiSerializerFieldExtension):
    """The rows of an upsert (contacts, accounts): an array with its size limits (drf-spectacular
    leaves them out)."""

    target_class = "api.serializers.RowList"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(self.target.child, direction)
        return {
            "type": "array",
            "items": component.ref,
            "minItems": self.target.min_length or 1,
            "maxItems": self.target.max_length,
        }
