from django.urls import path

from surveys import public_views, unsubscribe_views

urlpatterns = [
    path("s/<str:token>/", public_views.survey_answer, name="survey_answer"),
    path("s/<str:token>/why/", public_views.survey_details, name="survey_details"),
    path("s/<str:token>/thanks/", public_views.survey_thanks, name="survey_thanks"),
    path("a/<str:token>/", public_views.survey_anonymous, name="survey_anonymous"),
    path("u/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
]
