"""The REST API (api/) and its schema."""

from config.env import env_int

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kringloop API",
    "DESCRIPTION": "Contacts, transactional surveys, responses, follow-ups and NPS. Every call needs "
    "`Authorization: Bearer <token>`; admins create tokens with scopes under API tokens.",
    "VERSION": "1.3",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_AUTHENTICATION": [],  # the schema and docs are public; a stale token must not hide them
    "ENUM_NAME_OVERRIDES": {
        "InvitationStatusEnum": "surveys.models.Invitation.Status",
        "FollowUpStatusEnum": "followups.models.FollowUp.Status",
        "CampaignKindEnum": "surveys.models.Campaign.Kind",
        "CampaignChannelEnum": "surveys.models.Campaign.Channel",
        "TriggerChannelEnum": "api.serializers.TRIGGER_CHANNELS",
        "FollowUpEventKindEnum": "followups.models.FollowUpEvent.Kind",
        "AccountStatusEnum": "surveys.models.Account.Status",
    },
}
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600, minimum=1)  # requests per minute per token
