"""Customers get the product's own 404 page on a bad link, also with DEBUG on (`make demo`)."""

import pytest

TECHNICAL = "Using the URLconf defined in"


@pytest.mark.parametrize("path", ["/u/tampered-token/", "/s/forged-token/", "/s/forged-token/why/", "/a/forged/"])
def test_a_bad_customer_link_shows_the_product_404_page_even_in_debug(client, db, settings, path):
    settings.DEBUG = True
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 404
    assert TECHNICAL not in html and "urlpatterns" not in html
    assert "There is nothing here. The link may be mistyped or expired." in html


def test_staff_pages_keep_the_technical_404_while_debugging(client, admin, settings):
    settings.DEBUG = True
    client.force_login(admin)
    response = client.get("/campaigns/999999999/")
    assert response.status_code == 404
    assert "There is nothing here" not in response.content.decode()
