from django.urls import path

from demo import views

urlpatterns = [
    path("outbox/<int:pk>/reply-as-customer/", views.outbox_reply_as_customer, name="demo_reply_as_customer"),
]
