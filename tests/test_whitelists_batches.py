"""Batches in the domain: which lists a firm is on (routing), memberships, list filters, safe undo, demo data."""
import random

from sqlalchemy import func, select

from matchmaker.demo import whitelists as whitelists_demo
from matchmaker.domain.whitelists import batches
from matchmaker.domain.whitelists import lists as whitelists
from matchmaker.domain.whitelists.checking import check_file
from matchmaker.models import Firm, User
from matchmaker.models.whitelists import (
    PORTRAIT_KINDS,
    WHITELIST_KINDS,
    WhiteListBatch,
    WhiteListEntry,
    WhiteListImport,
)

from . import factories
from .wl_files import xlsx

THRESHOLDS = batches.Thresholds(92, 75)


def _import(db, kind, label, rows):
    checked = check_file(db, xlsx(rows), f"{label}.xlsx", kind)
    resolved, _ = batches.preview(db, checked, label, THRESHOLDS)
    batch = batches.commit_rows(db, None, kind, label, f"{label}.xlsx", resolved)
    db.commit()
    return batch


def test_kinds_come_from_the_current_batch_of_each_list(db, firm, township):
    other = factories.FirmFactory(township_id=township.id)
    _import(db, "above_scale", "2022", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc], [other.name, other.uscc]])
    _import(db, "above_scale", "2023", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]])
    _import(db, "key_project", "2023", [["项目单位", "统一社会信用代码", "项目名称"], [other.name, other.uscc, "一期"],
                                        [other.name, other.uscc, "二期"]])
    kinds = whitelists.whitelist_kinds_by_firm(db, None)
    assert kinds == {firm.id: frozenset({"above_scale"}), other.id: frozenset({"key_project"})}
    assert whitelists.whitelist_kinds_by_firm(db, [firm.id]) == {firm.id: frozenset({"above_scale"})}
    assert whitelists.whitelist_kinds_by_firm(db, []) == {}
    labels = [e.label for e in whitelists.entries_for_firm(db, other.id)]
    assert labels == ["重点项目（2023）：一期", "重点项目（2023）：二期", "规上企业（2022）"]


def test_list_filters_batch_industry_township_and_open_request(db, firm, township, other_township, users):
    machine = factories.FirmFactory(township_id=other_township.id, industry="machinery")
    _import(db, "high_tech", "2022", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc]])
    _import(db, "high_tech", "2023", [["企业名称", "统一社会信用代码"], [firm.name, firm.uscc],
                                      [machine.name, machine.uscc]])
    factories.RequestFactory(firm=machine, state="routed")
    db.commit()
    district = users["district"]

    def names(**kw):
        query = whitelists.visible_entries(district, "high_tech", whitelists.ListFilters(**kw), db)
        return sorted(e.firm.name for e in db.scalars(query))

    assert names() == sorted([firm.name, machine.name])
    old = db.scalar(select(WhiteListBatch.id).where(WhiteListBatch.label == "2022"))
    assert names(batch_id=old) == [firm.name]
    assert names(industry="machinery") == [machine.name]
    assert names(township_id=township.id) == [firm.name]
    assert names(open_request=True) == [machine.name]
    township_user = users["township"]
    visible = db.scalars(whitelists.visible_entries(township_user, "high_tech", whitelists.ListFilters(), db)).all()
    assert [e.firm_id for e in visible] == [firm.id]
    assert db.scalars(whitelists.visible_entries(users["enterprise"], "high_tech", whitelists.ListFilters(), db)).all() == []


def test_undo_keeps_a_created_firm_that_is_now_in_use(db, users):
    batch = _import(db, "doubling_firm", "2023", [["企业名称"], ["枣庄新建一号化工有限公司"], ["枣庄新建二号机械有限公司"]])
    kept, dropped = (db.scalar(select(Firm).where(Firm.name == n)) for n in ("枣庄新建一号化工有限公司",
                                                                             "枣庄新建二号机械有限公司"))
    assert sorted(batch.created_firm_ids) == sorted([kept.id, dropped.id])
    factories.RequestFactory(firm=kept)
    db.commit()
    batches.undo_batch(db, users["district"], batch.id)
    db.commit()
    db.expire_all()
    assert db.get(Firm, kept.id) is not None and db.get(Firm, dropped.id) is None
    assert db.scalar(select(func.count()).select_from(WhiteListEntry)) == 0
    again = _import(db, "doubling_firm", "2023", [["企业名称"], ["枣庄新建一号化工有限公司"]])  # the label is free again
    assert db.scalar(select(WhiteListEntry.firm_id).where(WhiteListEntry.batch_id == again.id)) == kept.id


def test_two_rows_resolving_to_one_firm_are_refused(db, firm):
    checked = check_file(db, xlsx([["企业名称", "统一社会信用代码"], [firm.name, firm.uscc], [firm.name.replace("试", "式"), ""]]),
                         "a.xlsx", "above_scale")
    try:
        batches.preview(db, checked, "2023", THRESHOLDS)
    except batches.ImportRejected as exc:
        assert [str(e) for e in exc.errors] == ["第3行 企业名称：与第2行匹配到同一家企业"]
    else:
        raise AssertionError("a firm twice must be refused")


def test_demo_builds_batches_of_every_list_and_a_review(db, users):
    for n in range(30):
        factories.FirmFactory(name=f"枣庄演示{n}号新材料有限公司")
    db.commit()
    whitelists_demo.build_demo(db, random.Random(1))
    db.commit()
    kinds = set(db.scalars(select(WhiteListBatch.kind).where(WhiteListBatch.state == "active")))
    assert kinds == set(WHITELIST_KINDS) - PORTRAIT_KINDS  # the portrait's lists: demo/portrait.py
    assert all(n >= 2 for n in db.scalars(select(func.count()).select_from(WhiteListBatch).group_by(WhiteListBatch.kind)))
    assert db.scalar(select(WhiteListImport).where(WhiteListImport.state == "preview")) is not None
    assert isinstance(users["district"], User)


def test_an_older_batch_compares_with_an_older_one_and_leaves_the_current_list(db, firm, township):
    other, third = (factories.FirmFactory(township_id=township.id) for _ in range(2))
    header = ["企业名称", "统一社会信用代码"]
    _import(db, "above_scale", "2023", [header, [firm.name, firm.uscc], [other.name, other.uscc],
                                        [third.name, third.uscc]])
    checked = check_file(db, xlsx([header, [firm.name, firm.uscc], [other.name, other.uscc]]), "2021.xlsx",
                         "above_scale")
    rows, summary = batches.preview(db, checked, "2021", THRESHOLDS)
    # nothing is older than 2021: no comparison, so nothing is "移出" (it used to say third was gone from 2023)
    assert summary["previous_label"] is None and summary["gone"] == 0 and summary["gone_rows"] == []
    assert summary["add"] == 2 and summary["current_label"] == "2023"
    assert "早于当前批次 2023" in summary["order_note"] and "当前名单仍为 2023" in summary["order_note"]
    batches.commit_rows(db, None, "above_scale", "2021", "2021.xlsx", rows)
    db.commit()
    assert whitelists.current_batches(db)["above_scale"].label == "2023"
    assert whitelists.whitelist_kinds_by_firm(db, None) == {f.id: frozenset({"above_scale"})
                                                            for f in (firm, other, third)}
    # 2022 sits between them: compared with 2021 (the newest older batch), not with the current 2023
    checked = check_file(db, xlsx([header, [firm.name, firm.uscc]]), "2022.xlsx", "above_scale")
    rows, summary = batches.preview(db, checked, "2022", THRESHOLDS)
    assert summary["previous_label"] == "2021" and summary["same"] == 1 and summary["gone"] == 1
    assert [g["name"] for g in summary["gone_rows"]] == [other.name]
    assert "与更早的批次 2021 对比" in summary["order_note"]
    batches.commit_rows(db, None, "above_scale", "2022", "2022.xlsx", rows)
    db.commit()
    assert whitelists.current_batches(db)["above_scale"].label == "2023"
    # a newer batch than the current one is compared with the current one and says nothing about order
    checked = check_file(db, xlsx([header, [firm.name, firm.uscc]]), "2024.xlsx", "above_scale")
    _, summary = batches.preview(db, checked, "2024", THRESHOLDS)
    assert summary["previous_label"] == "2023" and summary["gone"] == 2 and summary["order_note"] == ""
