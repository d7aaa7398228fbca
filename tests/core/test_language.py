import re


def page_language(response) -> str:
    return re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True)).group(1)


def test_browser_language_is_used_when_nothing_else_is_chosen(client):
    assert page_language(client.get("/")) == "en"
    assert page_language(client.get("/", headers={"Accept-Language": "bg,en;q=0.5"})) == "bg"
    assert page_language(client.get("/", headers={"Accept-Language": "de"})) == "en"


def test_header_picker_beats_the_browser_and_keeps_the_page(client):
    response = client.submit(
        "/language", {"language": "hu", "next": "/courses/?format=24"}, page="/"
    )
    assert response.headers["Location"] == "/courses/?format=24"
    assert page_language(client.get("/", headers={"Accept-Language": "bg"})) == "hu"
    bogus = client.submit(
        "/language", {"language": "xx", "next": "https://evil.example/"}, page="/"
    )
    assert bogus.headers["Location"] == "/"
    assert page_language(client.get("/")) == "hu"


def test_profile_language_wins_and_picker_updates_it(client, auth, db, make_user):
    user = make_user()
    user.locale = "bg"
    db.session.commit()
    auth.login(user)
    assert page_language(client.get("/", headers={"Accept-Language": "hu"})) == "bg"
    client.submit("/language", {"language": "hu", "next": "/"}, page="/")
    db.session.refresh(user)
    assert user.locale == "hu"
    html = client.get("/").get_data(as_text=True)
    assert 'lang="hu"' in html
