from django.urls import path

from demo import views

app_name = "demo"

urlpatterns = [
    path("outbox/<int:pk>/reply-as-customer/", views.outbox_reply_as_customer, name="reply_as_customer"),
]
