"""Every input has one set of limits, the same in forms, imports, CLI and the domain: too long, unparsable or
implausible is refused with the field named, never cut, dropped or read as empty; searches take % and _ literally;
every file the project writes is neutralised; messages say what is wrong."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matchmaker.domain.accounts import users as accounts
from matchmaker.domain.core import limits
from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.events import organising as events
from matchmaker.domain.notify import notifications
from matchmaker.domain.whitelists import batches
from matchmaker.domain.whitelists.checking import check_file
from matchmaker.models import EventInvitation, Firm, History, Lead, MatchmakingEvent, User

from . import factories
from .events_support import make_event
from .wl_files import csv_bytes, xlsx

# the job queue's consumer threads of one module run on one test worker
pytestmark = pytest.mark.xdist_group("jobs")

# The rules themselves ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1e309", "1E5", "NaN", "Infinity", "abc", "1.2.3", "9" * 19, "--1"])
def test_only_plain_decimals_parse(text):
    with pytest.raises(DomainError, match="不是有效的数字"):
        limits.parse_decimal(text, "金额")


def test_plain_decimals_parse_with_thousands_separators():
    assert str(limits.parse_decimal("1,234.50")) == "1234.50"
    assert limits.parse_decimal("  ") is None


@pytest.mark.parametrize("phone", ["13800000000", "+86 138 0000 0000", "0632-1234567", "06321234567",
                                   "010-12345678", "0632-1234567-801"])
def test_mainland_mobiles_and_landlines_are_phones(phone):
    assert limits.check_phone(phone)


@pytest.mark.parametrize("phone", ["abc", "12345", "12800000000", "1380000000", "632-1234567", "13800000000x"])
def test_anything_else_is_not_a_phone(phone):
    with pytest.raises(DomainError, match="不是有效的号码") as caught:
        limits.check_phone(phone, "联系电话", "contact_phone")
    assert caught.value.field == "contact_phone"


def test_column_limits_come_from_the_model():
    assert limits.max_length(Firm.name) == 200
    with pytest.raises(DomainError, match="企业名称不能超过200字（现为201字）"):
        limits.check_column("企" * 201, Firm.name, "企业名称")


# Forms ------------------------------------------------------------------------------------------------------------

def test_a_contact_note_over_the_limit_is_refused_and_the_step_not_taken(db, as_role, users, firm, bank):
    _, lead = factories.routed_request(db, firm, bank, state="claimed")
    lead.manager_id = users["bank_manager"].id
    db.commit()
    client = as_role("bank_manager")
    response = client.post(f"/bank/leads/{lead.id}/contact", data={"note": "长" * 1001})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "备注不能超过1000字" in html
    db.expire_all()
    assert db.get(Lead, lead.id).state == "claimed"
    assert db.scalar(select(func.count()).select_from(History).where(History.to_state == "contacted")) == 0
    with pytest.raises(DomainError, match="备注不能超过1000字"):
        from matchmaker.domain.requests import leads
        leads.record_contact(db, users["bank_manager"], lead.id, "长" * 1001)
    assert client.post(f"/bank/leads/{lead.id}/contact", data={"note": "电话已联系"}).status_code == 302
    db.expire_all()
    assert db.get(Lead, lead.id).state == "contacted"


def _event_data(bank=None, **changes):
    data = {"title": "春季银企对接会", "kind": "township", "industry": "", "starts_time": "09:30",
            "starts_on": (events.local_today() + timedelta(days=10)).isoformat(), "venue": "便民服务中心",
            "capacity": "40"}
    if bank is not None:
        data["bank_ids"] = [str(bank.id)]
    data.update(changes)
    return data


@pytest.mark.parametrize("day, message", [
    ("2020-01-01", "活动日期应在"), ("9999-12-31", "活动日期应在"),
    ("2026-02-30", "日期“2026-02-30”无效"), ("", "请填写活动日期")])
def test_an_event_date_must_be_real_and_from_today_to_two_years_ahead(db, as_role, users, day, message):
    response = as_role("township").post("/events/new", data=_event_data(starts_on=day))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert db.scalar(select(func.count()).select_from(MatchmakingEvent)) == 0


def test_the_event_date_limit_is_in_the_domain(db, users):
    from datetime import datetime

    with pytest.raises(DomainError, match="活动日期应在") as caught:
        events.create_event(db, users["district"], title="t", kind="township", township_id=users["township"].township_id,
                            starts_at=datetime(2020, 1, 1, 9, 0), venue="v", capacity=10)
    assert caught.value.field == "starts_on"


def test_an_event_without_banks_does_not_claim_banks_were_told(db, as_role, users, bank):
    client = as_role("township")
    response = client.post("/events/new", data=_event_data(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "参会银行已收到通知" not in html and "尚未选择参会银行" in html
    response = client.post("/events/new", data=_event_data(bank, title="有银行的对接会"), follow_redirects=True)
    assert "参会银行已收到通知" in response.get_data(as_text=True)


def test_a_phone_that_is_not_one_is_refused_everywhere(db, as_role, users, firm, township):
    profile = {"name": firm.name, "township_id": firm.township_id, "industry": firm.industry, "size": firm.size,
               "contact_person": "张经理", "contact_phone": "abc"}
    response = as_role("enterprise").post("/enterprise/profile", data=profile)
    assert response.status_code == 200 and "联系电话“abc”不是有效的号码" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Firm, firm.id).contact_phone != "abc"
    with pytest.raises(DomainError, match="不是有效的号码"):
        accounts.create_user(db, "phoneuser", "test-pass-123", "district", phone="abc")
    with pytest.raises(DomainError, match="不是有效的号码"):
        accounts.register_enterprise(db, username="newfirm", password="test-pass-123",
                                     uscc="91370400MA3C00000X", name="枣庄某有限公司", township_id=township.id,
                                     contact_person="李", contact_phone="abc")
    with pytest.raises(DomainError, match="不是有效的号码"):
        notifications.save_preference(db, users["district"], sms_phone="abc")
    assert db.scalar(select(User).where(User.username == "phoneuser")) is None


def test_an_invitation_is_not_sent_while_its_filter_is_in_error(db, as_role, users, township, bank):
    event = make_event(db, users["township"], banks=[bank], days_from_today=10, title="纺织专场")
    factories.FirmFactory(township_id=township.id, industry="textiles", name="枣庄华泰纺织有限公司")
    db.commit()
    client = as_role("township")
    response = client.post(f"/events/{event.id}/invite", data={"preview": "1", "industries": "textiles",
                                                                "not_invited_months": "999"},
                           follow_redirects=True)
    assert "筛选条件有误" in response.get_data(as_text=True) and "未发送任何邀请" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(EventInvitation)) == 0


def test_a_refused_monthly_upload_keeps_the_figures_and_the_note(db, as_role, users, bank):
    from .test_reports_monthly import STORED, post

    client = as_role("bank_admin")
    assert post(client).status_code == 302  # the typed report is stored
    response = client.post("/reports/upload", data={"month": "2022-03", "note": "更正了贷款余额",
                                                    "file": (io.BytesIO(b"not a spreadsheet"), "r.xlsx")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "更正了贷款余额" in html
    first = next(iter(STORED))
    assert re.search(rf'name="{first}"[^>]*value="[1-9]', html), "the stored figures are still on the form"


def test_a_percent_sign_in_the_event_search_matches_only_itself(db, as_role, users):
    make_event(db, users["township"], days_from_today=5, title="春季对接会")
    make_event(db, users["township"], days_from_today=6, title="100%服务企业对接会")
    db.commit()
    client = as_role("township")
    html = client.get("/events/?q=%").get_data(as_text=True)
    assert "100%服务企业对接会" in html and "春季对接会" not in html
    assert "春季对接会" not in client.get("/events/?q=_").get_data(as_text=True)


def test_the_name_review_with_nothing_chosen_is_a_warning(db, as_role, users, worker):
    factories.FirmFactory(name="枣庄鑫源新材料有限公司")
    db.commit()
    client = as_role("district")
    response = client.post("/whitelists/import", data={"kind": "high_tech", "batch": "2023", "sheet": "",
                                                        "file": (io.BytesIO(xlsx([["企业名称"],
                                                                                   ["枣庄鑫源新材料厂"]])),
                                                                 "名单.xlsx")},
                           content_type="multipart/form-data")
    import_id = int(re.search(r"/whitelists/imports/(\d+)", response.headers["Location"]).group(1))
    worker.wait()  # the check job stages the preview
    html = client.post(f"/whitelists/imports/{import_id}/review", data={}, follow_redirects=True).get_data(
        as_text=True)
    assert "没有选择任何名称的对应企业" in html and "已确认 0 个名称" not in html


# Imports and the CLI ----------------------------------------------------------------------------------------------

def test_a_firm_name_over_the_column_length_is_refused_by_the_import(db):
    data = csv_bytes([["企业名称", "统一社会信用代码"], ["枣" * 300, ""], ["枣庄正常有限公司", ""]])
    checked = check_file(db, data, "名单.csv", "above_scale")
    messages = [str(e) for e in checked.errors]
    assert any("第2行" in m and "不能超过200字（现为300字）" in m for m in messages), messages
    assert not any("第3行" in m for m in messages)


@pytest.mark.parametrize("label", ["1999", "2024-13", "2024-00", "3000", "abcd"])
def test_a_batch_label_must_be_a_real_year_or_year_month(db, label):
    with pytest.raises(DomainError) as caught:
        batches.check_batch_label(db, "above_scale", label)
    assert caught.value.field == "batch"


@pytest.mark.parametrize("label", ["2023", "2023-06", "2023年第二批", "2000"])
def test_real_batch_labels_pass(db, label):
    assert batches.check_batch_label(db, "above_scale", label) == label


def test_the_import_page_refuses_a_bad_batch_label(db, as_role, users):
    response = as_role("district").post("/whitelists/import", data={
        "kind": "above_scale", "batch": "2024-13", "sheet": "",
        "file": (io.BytesIO(xlsx([["企业名称"], ["枣庄某有限公司"]])), "名单.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422 and "月份不正确" in response.get_data(as_text=True)


def test_resolve_names_writes_no_formula(app, tmp_path: Path):
    registry = tmp_path / "registry.csv"
    registry.write_text("uscc,name\n91370400MA3C00000X,枣庄某有限公司\n", encoding="utf-8")
    names = tmp_path / "names.csv"
    names.write_text("name,remark\n=cmd|' /C calc'!A0,+1\n枣庄某有限公司,@SUM(A1)\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = app.test_cli_runner().invoke(args=["resolve-names", str(registry), str(names), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in text and "'+1" in text and "'@SUM(A1)" in text
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@")), cell


def test_the_profile_rule_holds_for_every_caller_not_only_the_form(db, users, firm):
    from matchmaker.domain.firms import records

    for key, value, message in (("contact_person", "李" * 51, "联系人不能超过50字"),
                                ("address", "路" * 201, "地址不能超过200字"),
                                ("description", "业" * 2001, "主营业务简介不能超过2000字")):
        with pytest.raises(DomainError, match=message) as caught:
            records.update_profile(db, users["enterprise"], firm, firm.name, **{key: value})
        assert caught.value.field == key
    with pytest.raises(DomainError, match="企业名称不能超过200字"):
        records.update_profile(db, users["enterprise"], firm, "企" * 201)
