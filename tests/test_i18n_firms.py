"""Issue 19 for the firm pages, the portrait and the outcomes (claims, colleagues, the township's desk, referrals,
first loans, ratings): each reads in English with no Chinese left outside user data, their form and domain
errors come in English, and text the domain builds (a score's reason, a suggested change) follows the reader."""
from __future__ import annotations

import pytest

from matchmaker.domain.portrait import score
from matchmaker.text import N_, Phrase

from .conftest import login
from .test_i18n import cjk_left

# role -> (url, an English phrase the page must hold)
PAGES = {
    "enterprise": [("/enterprise/", "Recent financing requests"), ("/enterprise/profile", "Colleague accounts"),
                   ("/firms/colleagues", "Add a colleague"), ("/portrait/", "How the score is made up")],
    "township": [("/township/", "Requests to follow up"), ("/township/firms", "Our township&#39;s firms"),
                 ("/firms/claims", "Claims &amp; changes to review"), ("/referrals/", "Referrals"),
                 ("/first-loans/", "First-time borrowers by bank")],
    "district": [("/district/firms", "With open requests"), ("/firms/claims", "No claims to review"),
                 ("/portrait/weights", "Portrait score weights"), ("/ratings/banks", "Bank service ratings")],
    "bank_admin": [("/ratings/", "service record")],
}


def english(app, users, role):
    client = app.test_client()
    client.set_cookie("locale", "en")
    return login(client, users[role].username)


@pytest.mark.parametrize("role", sorted(PAGES))
def test_firm_and_outcome_pages_read_in_english(app, users, role):
    client = english(app, users, role)
    for url, phrase in PAGES[role]:
        response = client.get(url, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (url, response.status_code)
        assert phrase in html, url
        assert not cjk_left(html), (url, cjk_left(html))


def test_the_firm_page_marks_its_data_and_reads_in_english(app, users, firm, db):
    firm.name, firm.contact_person = "枣庄测试化工有限公司", "王厂长"
    db.commit()
    html = english(app, users, "township").get(f"/firms/{firm.id}").get_data(as_text=True)
    assert "<span data-user>枣庄测试化工有限公司</span>" in html and "Change history" in html
    assert not cjk_left(html), cjk_left(html)


def test_form_errors_of_these_pages_are_in_english(app, users):
    client = english(app, users, "district")
    html = client.post("/portrait/weights", data={k: "-1" for k in score.PARTS}).get_data(as_text=True)
    assert "A weight must be 0–100" in html and "Portrait score weights" in html
    html = client.post("/portrait/weights", data={k: "0" for k in score.PARTS}).get_data(as_text=True)
    assert "The weights cannot all be 0" in html  # the domain's refusal, in the reader's language
    html = english(app, users, "enterprise").post("/firms/colleagues", data={"username": "", "password": ""}) \
        .get_data(as_text=True)
    assert "Choose a user name" in html and "Choose a password" in html


def test_a_phrase_is_chinese_as_text_and_follows_the_reader_on_a_page(app):
    from matchmaker.web.phrases import phrase, phrase_text

    reason = score.qualification_value([N_("瞪羚企业")], [])[1]
    assert reason == "核验资质：瞪羚企业" and reason.msgid == "核验资质：%(kind_labels)s"
    leader = Phrase(N_("链主：%(leader_name)s"), leader_name="枣庄<链主>")
    with app.test_request_context(headers={"Cookie": "locale=en"}):
        assert phrase_text(score.track_value(2, 1, 0)[1]) == "Approved: 2; disbursed: 1; declined: 0"
        assert str(phrase(leader)) == "Chain leader: <span data-user>枣庄&lt;链主&gt;</span>"
        assert str(phrase("自由文本")) == "<span data-user>自由文本</span>"  # not a Phrase: user data
    with app.test_request_context():
        assert phrase_text(score.track_value(2, 1, 0)[1]) == "获批 2 笔、已放款 1 笔、被拒 0 笔"


def test_rating_and_next_step_pages_read_in_english(app, db, users, firm, bank):
    from matchmaker.domain.requests import leads

    from . import factories

    req, lead = factories.routed_request(db, firm, bank)
    req.renewal = True
    leads.claim(db, users["bank_manager"], lead.id)
    leads.decline(db, users["bank_manager"], lead.id, "credit_policy", "")
    db.commit()
    client = english(app, users, "enterprise")
    html = client.get(f"/portrait/leads/{lead.id}/next").get_data(as_text=True)
    assert "Suggested referrals:" in html and not cjk_left(html), cjk_left(html)
    html = client.get(f"/portrait/firms/{firm.id}").get_data(as_text=True)
    assert "Next steps after a decline" in html and not cjk_left(html), cjk_left(html)
    response = client.post(f"/ratings/leads/{lead.id}", data={"comment": "ok"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Score the bank's service" in html
    assert "5 – " in html and not cjk_left(html), cjk_left(html)


def test_a_claim_reads_in_english_for_the_claimant_and_the_township(app, db, users, township, tmp_path):
    from . import factories
    from .test_firm_claims import registration, with_licence

    app.config["CLAIM_LICENCE_DIR"] = str(tmp_path / "licences")
    firm = factories.FirmFactory(township_id=township.id, name="枣庄无账户化工有限公司")
    db.commit()
    claimant = app.test_client()
    claimant.set_cookie("locale", "en")
    data = with_licence(registration(firm, township_id=str(township.id)))
    assert claimant.post("/register", data=data, content_type="multipart/form-data").status_code == 302
    html = claimant.get("/firms/claim").get_data(as_text=True)
    assert "Awaiting the township&#39;s review" in html or "Awaiting the township's review" in html
    assert not cjk_left(html), cjk_left(html)
    html = claimant.post("/firms/claim", data={"claim_code": "WRONG-CODE"}).get_data(as_text=True)
    assert "The claim code is wrong" in html  # a domain error next to its field, in English
    html = english(app, users, "township").get("/firms/claims").get_data(as_text=True)
    assert "<span data-user>冒名顶替有限公司</span>" in html and "Checked: approve" in html
    assert not cjk_left(html), cjk_left(html)
