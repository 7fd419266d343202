from django.urls import path

from surveys import privacy_views

urlpatterns = [
    path("contacts/<int:pk>/export.json", privacy_views.contact_export_json, name="contact_export_json"),
    path("contacts/<int:pk>/erase/", privacy_views.contact_erase_confirm, name="contact_erase_confirm"),
]
