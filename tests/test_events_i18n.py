"""The event pages, messages and report in English (issue 19): the pages hold their English wording and no
Chinese outside user data, a form error and a refusal read in English, and the event report's .xlsx (download and background job) is written in the requester's language."""
import io

import openpyxl
import pytest
from sqlalchemy import select

from matchmaker.domain.events import checkin, intentions
from matchmaker.domain.events import invitations as inv
from matchmaker.domain.events import report as reports
from matchmaker.models import Job

from . import factories
from .conftest import login
from .events_support import make_event, product_of
from .test_i18n import cjk_left, english_left

WAN = 10_000


@pytest.fixture
def setup(db, users, township, bank, firm):
    """A township event today, `bank` presenting, `firm` invited and checked in with one intention."""
    event = make_event(db, users["township"], banks=[bank], capacity=5)
    second = factories.FirmFactory(township_id=township.id, name="枣庄瑞丰纺织有限公司", industry="textiles")
    rows = inv.send_invitations(db, users["township"], event, [firm.id, second.id])
    checkin.check_in(db, users["township"], event, rows[0].id)
    intentions.record_intention(db, users["bank_manager"], event, firm_id=firm.id, bank_id=bank.id,
                                product_id=product_of(db, bank).id, amount_yuan=250 * WAN)
    db.commit()
    return {"event": event, "second": second, "invitation": rows[1]}


@pytest.fixture
def english(app, users):
    """english("township") -> a client signed in as that role, reading English (chosen before signing in)."""

    def make(role: str):
        client = app.test_client()
        client.set_cookie("locale", "en")
        return login(client, users[role].username)

    return make


PAGES = [  # (role, path, an English phrase the page holds)
    ("township", "/events/", "Matchmaking events"),
    ("township", "/events/{id}", "Invitation list"),
    ("township", "/events/{id}/edit", "Participating banks and featured products"),
    ("township", "/events/new", "New matchmaking event"),
    ("township", "/events/{id}/invite", "Preview list"),
    ("township", "/events/{id}/invite?preview=1", "firms to invite"),
    ("township", "/events/{id}/checkin", "Register a new firm on the spot"),
    ("township", "/events/{id}/intentions", "Recorded intentions"),
    ("township", "/events/{id}/report", "Matchmaking event report"),
    ("township", "/events/followups", "Event intention follow-up"),
    ("district", "/events/overview", "Conversion from intention to disbursement"),
    ("district", "/events/overview?by=industry", "Industry (the firm's)"),
    ("bank_manager", "/events/{id}", "Our bank's intentions"),
    ("bank_manager", "/events/{id}/intentions", "Record our intentions"),
    ("enterprise", "/events/", "My reply"),
    ("enterprise", "/events/{id}", "Your firm's invitation"),
]


@pytest.mark.parametrize("role, path, phrase", PAGES)
def test_event_pages_read_in_english(english, setup, role, path, phrase):
    html = english(role).get(path.format(id=setup["event"].id)).get_data(as_text=True)
    assert '<html lang="en">' in html and phrase in html
    assert not cjk_left(html), cjk_left(html)
    assert setup["event"].title in html or path.startswith("/events/new") or "followups" in path


@pytest.mark.parametrize("role, path, _phrase", PAGES)
def test_event_pages_have_no_english_left_in_chinese(as_role, setup, role, path, _phrase):
    html = as_role(role).get(path.format(id=setup["event"].id)).get_data(as_text=True)
    assert not english_left(html), english_left(html)


def test_a_form_error_and_a_refusal_in_english(english, setup):
    client = english("township")
    html = client.post("/events/new", data={"title": "", "kind": "industry", "venue": "会议室", "capacity": "0",
                                            "starts_on": "2026-02-10"}).get_data(as_text=True)
    assert "Enter the event name" in html and "Capacity must be 1–5000 firms" in html
    assert not cjk_left(html), cjk_left(html)
    event, row = setup["event"], setup["invitation"]
    first = client.post(f"/events/{event.id}/checkin/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert f"<span data-user>{setup['second'].name}</span> checked in (2 of 5 checked in)" in first
    again = client.post(f"/events/{event.id}/checkin/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert f"<span data-user>{setup['second'].name}</span> already checked in at" in again
    assert not cjk_left(again), cjk_left(again)


def test_the_invitation_filter_error_is_in_english(english, setup):
    client = english("township")
    html = client.post(f"/events/{setup['event'].id}/invite", data={"preview": "1", "not_invited_months": "99"},
                       follow_redirects=True).get_data(as_text=True)
    assert "The filters are wrong (Not invited in the last (months): Must be 1–60 months)" in html


def _sheets(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def test_the_report_xlsx_is_in_the_readers_language(english, as_role, setup, firm):
    event = setup["event"]
    sheets = _sheets(english("district").get(f"/events/{event.id}/report.xlsx").data)
    assert list(sheets) == ["Summary", "By bank and product", "Intention details", "Decline reasons"]
    facts = {r[0]: r[1] for r in sheets["Summary"][2:]}
    assert facts["Intentions"] == 1 and facts["Intended amount (CNY 10k)"] == 250 and facts["Firms attended"] == 1
    assert facts["Organiser"] == event.township.name  # a name stays as stored
    assert sheets["Intention details"][0][:3] == ("No.", "Firms", "Bank")
    assert sheets["Intention details"][1][1] == firm.name
    assert sheets["By bank and product"][-1][0] == "Total"
    chinese = _sheets(as_role("district").get(f"/events/{event.id}/report.xlsx").data)
    assert list(chinese) == ["概况", "按银行和产品", "意向明细", "拒绝原因"]


def test_the_report_job_writes_in_the_requesters_language(db, english, setup, worker):
    event = setup["event"]
    client = english("township")
    assert client.post(f"/jobs/start/event-report/{event.id}").status_code == 302
    worker.wait()
    job = db.scalar(select(Job).where(Job.kind == "event_report"))
    assert job.state == "done" and job.params["locale"] == "en", job.error
    assert job.result["label"] == f"Download event report: {event.title}"
    assert "Summary" in _sheets(client.get(job.result["url"]).data)


def test_report_figures_label_names_as_data_and_groups_as_labels(db, setup):
    rows = reports.summarise(db, "industry")
    assert rows and not any(r.label_is_data for r in rows)
    assert all(r.label_is_data for r in reports.summarise(db, "bank"))
    assert not reports.total(rows).label_is_data
