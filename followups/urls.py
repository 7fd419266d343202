from django.urls import path

from followups import (
    case_views,
    improvement_views,
    inbound_views,
    praise_views,
    public_views,
    reply_template_views,
    settings_views,
    views,
)

app_name = "followups"

urlpatterns = [
    path("followups/", views.followup_mine, name="followup_mine"),
    path("followups/queue/", views.followup_queue, name="followup_queue"),
    path("followups/queue/reassign/", views.followup_bulk_reassign, name="followup_bulk_reassign"),
    path("followups/tags/", settings_views.tag_list, name="tag_list"),
    path("followups/tags/<int:pk>/toggle/", settings_views.tag_toggle, name="tag_toggle"),
    path("followups/<int:pk>/", case_views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/claim/", views.followup_claim, name="followup_claim"),
    path(
        "followups/<int:pk>/emails/<int:inbound_id>/attachments/<int:number>/",
        inbound_views.inbound_attachment,
        name="inbound_attachment",
    ),
    path("followups/emails/", inbound_views.inbound_list, name="inbound_list"),
    path("followups/praise/", praise_views.praise_wall_page, name="praise_wall"),
    path("followups/reply-templates/", reply_template_views.reply_template_list, name="reply_template_list"),
    path("followups/reply-templates/new/", reply_template_views.reply_template_edit, name="reply_template_create"),
    path("followups/reply-templates/<int:pk>/", reply_template_views.reply_template_edit, name="reply_template_edit"),
    path(
        "followups/reply-templates/<int:pk>/delete/",
        reply_template_views.reply_template_delete,
        name="reply_template_delete",
    ),
    path("followups/emails/<int:pk>/", inbound_views.inbound_detail, name="inbound_detail"),
    path("routing/", settings_views.routing_rule_list, name="routing_rule_list"),
    path("routing/new/", settings_views.routing_rule_edit, name="routing_rule_create"),
    path("routing/test/", settings_views.routing_test, name="routing_test"),
    path("routing/sla/", settings_views.sla_settings, name="sla_settings"),
    path("routing/<int:pk>/", settings_views.routing_rule_edit, name="routing_rule_edit"),
    path("routing/<int:pk>/delete/", settings_views.routing_rule_delete, name="routing_rule_delete"),
    path("routing/<int:pk>/move/", settings_views.routing_rule_move, name="routing_rule_move"),
    path("routing/<int:pk>/toggle/", settings_views.routing_rule_toggle, name="routing_rule_toggle"),
    path("followups/<int:pk>/link/", improvement_views.followup_link_improvement, name="followup_link_improvement"),
    path("improvements/link/", improvement_views.comments_link_improvement, name="comments_link_improvement"),
    path("improvements/", improvement_views.improvement_list, name="improvement_list"),
    path("improvements/new/", improvement_views.improvement_edit, name="improvement_create"),
    path("improvements/<int:pk>/", improvement_views.improvement_detail, name="improvement_detail"),
    path("improvements/<int:pk>/edit/", improvement_views.improvement_edit, name="improvement_edit"),
    path("improvements/<int:pk>/link/", improvement_views.improvement_link, name="improvement_link"),
    path(
        "improvements/<int:pk>/unlink/<int:response_id>/",
        improvement_views.improvement_unlink,
        name="improvement_unlink",
    ),
    path("improvements/<int:pk>/status/", improvement_views.improvement_status, name="improvement_status"),
    path("improvements/<int:pk>/ship/", improvement_views.improvement_ship, name="improvement_ship"),
    path("improvements/<int:pk>/progress/", improvement_views.improvement_progress, name="improvement_progress"),
    path("improvements/<int:pk>/publish/", improvement_views.improvement_publish, name="improvement_publish"),
    # The public "you said, we did" page: anyone may read it (followups.public_page).
    path("you-said-we-did/", public_views.public_improvements, name="public_improvements"),
    path("you-said-we-did/embed/", public_views.public_improvements_embed, name="public_improvements_embed"),
    path("you-said-we-did/feed.rss", public_views.public_improvements_rss, name="public_improvements_rss"),
    path("you-said-we-did/feed.atom", public_views.public_improvements_atom, name="public_improvements_atom"),
]
