from django.urls import path

from followups import views

urlpatterns = [
    path("followups/", views.followup_mine, name="followup_mine"),
    path("followups/queue/", views.followup_queue, name="followup_queue"),
    path("followups/queue/reassign/", views.followup_bulk_reassign, name="followup_bulk_reassign"),
    path("followups/tags/", views.tag_list, name="tag_list"),
    path("followups/tags/<int:pk>/toggle/", views.tag_toggle, name="tag_toggle"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/claim/", views.followup_claim, name="followup_claim"),
    path("routing/", views.routing_rule_list, name="routing_rule_list"),
    path("routing/new/", views.routing_rule_edit, name="routing_rule_create"),
    path("routing/test/", views.routing_test, name="routing_test"),
    path("routing/sla/", views.sla_settings, name="sla_settings"),
    path("routing/<int:pk>/", views.routing_rule_edit, name="routing_rule_edit"),
    path("routing/<int:pk>/delete/", views.routing_rule_delete, name="routing_rule_delete"),
    path("routing/<int:pk>/move/", views.routing_rule_move, name="routing_rule_move"),
]
