from django.urls import path

from webhooks import views

# Mounted at webhooks/ (config/urls.py).
app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("new/", views.endpoint_edit, name="endpoint_create"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:pk>/toggle/", views.endpoint_toggle, name="endpoint_toggle"),
    path("<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("<int:pk>/rotate/", views.endpoint_rotate_secret, name="endpoint_rotate"),
    path("<int:pk>/ping/", views.endpoint_ping, name="endpoint_ping"),
    path("deliveries/<uuid:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<uuid:pk>/resend/", views.delivery_resend, name="delivery_resend"),
]
