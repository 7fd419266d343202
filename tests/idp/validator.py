from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims from the provider's users; a user in the group "unverified" has an unverified e-mail."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.groups.filter(name="unverified").exists(),
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
