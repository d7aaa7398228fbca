"""The privacy notice: in the reader's language, the centres as controllers, the
retention periods; linked from every page's footer and from the profile."""

import pytest


@pytest.mark.parametrize("language, heading, years", [
    ("en", "Privacy notice", "Until 10 years after"),
    ("hu", "Adatkezelési tájékoztató", "lezárása után 10 évig"),
    ("bg", "Уведомление за поверителност", "10 години"),
])
def test_the_notice_names_the_centres_and_the_retention_in_the_readers_language(
        client, make_centre, language, heading, years):
    make_centre(name="Razgrad Resource Centre", country="BG", address="Razgrad, 1 Bely Lom St")
    html = client.get("/privacy", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "Razgrad Resource Centre" in html and "1 Bely Lom St" in html
    assert years in html


def test_the_retention_follows_the_setting(app, client):
    app.config["PERSONAL_DATA_RETENTION_YEARS"] = 1
    html = client.get("/privacy").get_data(as_text=True)
    assert "Until 1 year after" in html


def test_the_notice_is_linked_from_the_footer_and_the_profile(client, auth, make_user):
    assert 'href="/privacy"' in client.get("/courses/").get_data(as_text=True)
    auth.login(make_user())
    profile = client.get("/profile").get_data(as_text=True)
    assert profile.count('href="/privacy"') == 2  # the page's own link and the footer's
