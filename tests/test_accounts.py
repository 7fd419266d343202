"""Login, logout, password change, user administration."""

import pytest
from django.contrib.auth import get_user_model

from core.models import AuditLog
from core.roles import user_role


def test_it_logs_in_with_the_right_password(client, agent):
    response = client.post("/login/", {"username": "arthur-agent", "password": "pw-for-tests"})
    assert response.status_code == 302


def test_it_refuses_a_wrong_password(client, agent):
    response = client.post("/login/", {"username": "arthur-agent", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_a_post(client, agent):
    client.force_login(agent)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/outbox/").status_code == 302


def test_password_change_page_works(client, agent):
    client.force_login(agent)
    response = client.post(
        "/password/",
        {"old_password": "pw-for-tests", "new_password1": "a-Longer-pass-42", "new_password2": "a-Longer-pass-42"},
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("a-Longer-pass-42")


def test_admin_creates_a_user_with_a_role_and_team(client, admin, team_a):
    client.force_login(admin)
    response = client.post(
        "/users/new/",
        {
            "username": "nina",
            "email": "nina@example.com",
            "role": "agent",
            "teams": [team_a.pk],
            "password": "a-Longer-pass-42",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    nina = get_user_model().objects.get(username="nina")
    assert user_role(nina) == "agent"
    assert list(nina.teams.all()) == [team_a]
    assert AuditLog.objects.filter(action="user.created", target_id=str(nina.pk)).exists()


def test_a_new_user_needs_a_password(client, admin):
    client.force_login(admin)
    response = client.post("/users/new/", {"username": "nopass", "role": "viewer"})
    assert response.status_code == 400
    assert "A new user needs a password." in response.content.decode()


def test_team_target_must_be_a_valid_nps(client, admin):
    client.force_login(admin)
    response = client.post("/teams/new/", {"name": "Z", "nps_target": "150"})
    assert response.status_code == 400
    assert "between -100 and 100" in response.content.decode()


def test_agent_cannot_manage_users(client, agent):
    client.force_login(agent)
    assert client.get("/users/").status_code == 403


def test_admin_reads_the_audit_log_filtered_by_action(client, admin, team_a):
    from core.audit import audit_log

    audit_log(actor=admin, action="campaign.created", target=team_a)
    audit_log(actor=admin, action="export.responses", data={"rows": 3})
    client.force_login(admin)
    response = client.get("/audit/?action=export")
    assert response.status_code == 200
    page = list(response.context["page"])
    assert [e.action for e in page] == ["export.responses"]
    assert client.get("/audit/?action=" + "x" * 500).status_code == 200


def test_team_and_profile_services_take_plain_values(admin, agent):
    from django.core.exceptions import ValidationError

    from core.models import Team
    from core.services import profile_save, team_save

    team = team_save(actor=admin, team=Team(), name="Billing", lead=agent, members=[agent], nps_target=40)
    assert (team.name, team.lead, list(team.members.all()), team.nps_target) == ("Billing", agent, [agent], 40)
    assert AuditLog.objects.filter(action="team.created", target_id=str(team.pk)).exists()
    with pytest.raises(ValidationError) as refused:
        team_save(actor=admin, team=team, name="Billing", lead=agent, members=[], nps_target=101)
    assert "nps_target" in refused.value.message_dict
    team.refresh_from_db()
    assert team.nps_target == 40 and team.members.count() == 1
    profile = profile_save(user=agent, language="nl")
    profile.refresh_from_db()
    assert profile.language == "nl"
