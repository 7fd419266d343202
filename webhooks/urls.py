from django.urls import path

from webhooks import views

urlpatterns = [
    path("webhooks/", views.endpoint_list, name="webhook_endpoint_list"),
    path("webhooks/new/", views.endpoint_edit, name="webhook_endpoint_create"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="webhook_endpoint_detail"),
    path("webhooks/<int:pk>/edit/", views.endpoint_edit, name="webhook_endpoint_edit"),
    path("webhooks/<int:pk>/toggle/", views.endpoint_toggle, name="webhook_endpoint_toggle"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete, name="webhook_endpoint_delete"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate_secret, name="webhook_endpoint_rotate"),
    path("webhooks/<int:pk>/ping/", views.endpoint_ping, name="webhook_endpoint_ping"),
    path("webhooks/deliveries/<uuid:pk>/", views.delivery_detail, name="webhook_delivery_detail"),
    path("webhooks/deliveries/<uuid:pk>/resend/", views.delivery_resend, name="webhook_delivery_resend"),
]
