"""Working-day clocks: China's calendar across the Spring Festival and National Day with their swapped working
weekends, the district's override table consulted first, and dates past the library's data (2027) falling back
to Monday–Friday with a warning instead of crashing."""
from datetime import date, datetime
from pathlib import Path

import chinese_calendar
import pytest
import time_machine
from sqlalchemy import func, select

from matchmaker.config import SEED_DIR
from matchmaker.domain.core import workdays
from matchmaker.domain.core.workdays import Calendar
from matchmaker.models import WorkdayOverride

D = date.fromisoformat


def test_the_library_agrees_with_the_2025_schedule_used_below():
    for day in ("2025-01-26", "2025-02-08", "2025-09-28", "2025-10-11"):  # swapped working weekend days
        assert D(day).weekday() >= 5 and chinese_calendar.is_workday(D(day)), day
    for day in ("2025-01-28", "2025-02-04", "2025-10-01", "2025-10-08"):  # holidays on weekdays
        assert D(day).weekday() < 5 and not chinese_calendar.is_workday(D(day)), day


@pytest.mark.parametrize("start,days,expected", [
    ("2025-01-24", 1, "2025-01-26"),  # Fri -> the working Sunday before the Spring Festival
    ("2025-01-24", 2, "2025-01-27"),
    ("2025-01-27", 1, "2025-02-05"),  # the whole holiday 01-28..02-04 is skipped
    ("2025-01-27", 3, "2025-02-07"),
    ("2025-02-07", 1, "2025-02-08"),  # the working Saturday after it
    ("2025-09-26", 1, "2025-09-28"),  # working Sunday before National Day
    ("2025-09-30", 1, "2025-10-09"),  # 10-01..10-08 holiday
    ("2025-09-30", 3, "2025-10-11"),  # 10-09 Thu, 10-10 Fri, 10-11 the working Saturday
    ("2025-09-29", 10, "2025-10-20"),  # a decision clock straddling National Day
])
def test_add_workdays_across_the_holidays(start, days, expected):
    assert Calendar().add_workdays(D(start), days) == D(expected)


def test_workdays_between_and_latest_overdue_start_agree_with_add_workdays():
    cal = Calendar()
    for start in (D("2025-01-20"), D("2025-09-25"), D("2025-10-10")):
        for n in (2, 3, 10):
            due = cal.add_workdays(start, n)
            assert cal.workdays_between(start, due) == n
            # overdue the day after the deadline: the latest overdue start on due+1 is >= start, on due it is < start
            assert cal.latest_overdue_start(date.fromordinal(due.toordinal() + 1), n) >= start
            assert cal.latest_overdue_start(due, n) < start


def test_a_2027_date_falls_back_to_monday_to_friday_without_crashing():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D("2027-02-08"))
    cal = Calendar()
    assert cal.is_workday(D("2027-02-08")) and not cal.is_workday(D("2027-02-06"))
    assert cal.source(D("2027-02-08")) == "fallback"
    assert cal.add_workdays(D("2026-12-31"), 2) == D("2027-01-04")  # Thu -> Fri 01-01 -> Mon 01-04
    assert workdays.is_workday(D("2027-01-01")) is True  # nobody told us yet that it is New Year's Day


def test_the_table_comes_first_but_only_a_year_marked_complete_stops_the_warning(db):
    assert workdays.coverage(db, D("2026-12-01")).warn
    workdays.save_override(db, D("2027-01-01"), False, "元旦")
    workdays.save_override(db, D("2025-01-27"), False, "区里另行放假")  # also overrides the library
    db.commit()
    cal = workdays.load_calendar(db)
    assert cal.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.add_workdays(D("2025-01-24"), 2) == D("2025-02-05")
    # one 2027 row says nothing about the rest of 2027: its other days are still estimates, and the warning stays
    assert cal.source(D("2027-01-01")) == "table" and cal.source(D("2027-03-01")) == "fallback"
    cov = workdays.coverage(db, D("2026-12-01"))
    assert cov.warn and D("2027-01-01") not in cov.fallback and D("2027-01-04") in cov.fallback
    assert "全年已录入" in cov.message
    workdays.mark_year(db, 2027)
    db.commit()
    cal = workdays.load_calendar(db)
    assert cal.source(D("2027-03-01")) == "complete" and cal.source(D("2027-01-01")) == "table"
    assert not workdays.coverage(db, D("2026-12-01")).warn
    assert workdays.coverage(db, D("2027-12-01")).warn  # 2028 is nobody's yet
    workdays.mark_year(db, 2027, complete=False)
    db.commit()
    assert workdays.coverage(db, D("2026-12-01")).warn and workdays.complete_years(db) == set()


def test_marking_a_year_complete_is_refused_outside_the_plausible_years(db):
    with pytest.raises(workdays.DomainError, match="2000–2100"):
        workdays.mark_year(db, 1999)


def test_loading_a_whole_years_schedule_marks_the_year(app, db, tmp_path: Path):
    schedule = tmp_path / "2027.csv"
    schedule.write_text("date,is_workday,note\n2027-01-01,0,元旦\n2027-02-20,1,春节调休上班\n", encoding="utf-8")
    partial = app.test_cli_runner().invoke(args=["load-workdays", str(schedule)])
    assert partial.exit_code == 0 and "--complete" in partial.output
    assert workdays.complete_years(db) == set() and workdays.coverage(db, D("2026-12-01")).warn
    whole = app.test_cli_runner().invoke(args=["load-workdays", str(schedule), "--complete"])
    assert whole.exit_code == 0 and "2027" in whole.output
    db.expire_all()
    assert workdays.complete_years(db) == {2027} and not workdays.coverage(db, D("2026-12-01")).warn


def test_an_over_long_note_or_a_bad_flag_in_the_csv_is_refused_not_cut(tmp_path: Path):
    with pytest.raises(workdays.DomainError, match="说明超过100字"):
        workdays.parse_override_rows(["2027-01-01,0," + "长" * 101])
    with pytest.raises(workdays.DomainError, match="1（上班）或 0（放假）"):
        workdays.parse_override_rows(["2027-01-01,5,x"])


def test_coverage_warning_names_the_missing_year():
    cov = workdays.Coverage(D("2026-12-01"), 60, Calendar().fallback_days(D("2026-12-01")))
    assert cov.fallback[0] == D("2027-01-01") and cov.fallback[-1] == D("2027-01-30")
    assert "2027年" in cov.message
    assert not Calendar().fallback_days(D("2025-06-01"))


def test_csv_rows_parse_with_comments_and_refuse_bad_lines():
    rows = workdays.parse_override_rows(["# note", "date,is_workday,note", "2027-02-20,1,春节调休上班",
                                         "2027-02-09,休,春节"])
    assert rows == [(D("2027-02-20"), True, "春节调休上班"), (D("2027-02-09"), False, "春节")]
    with pytest.raises(workdays.DomainError, match="YYYY-MM-DD"):
        workdays.parse_override_rows(["2027/02/20,1,x"])
    with pytest.raises(workdays.DomainError, match="1（上班）或 0（放假）"):
        workdays.parse_override_rows(["2027-02-20,maybe,x"])


def test_load_workdays_command_loads_the_placeholder_only_when_asked(app, db):
    assert db.scalar(select(func.count()).select_from(WorkdayOverride)) == 0  # `seed` does not load it
    placeholder = SEED_DIR / "workdays" / "2027_PLACEHOLDER.csv"
    result = app.test_cli_runner().invoke(args=["load-workdays", str(placeholder)])
    assert result.exit_code == 0 and "已载入 13 个调休日期" in result.output
    assert db.scalar(select(WorkdayOverride.is_workday).where(WorkdayOverride.day == D("2027-02-08"))) is False
    again = app.test_cli_runner().invoke(args=["load-workdays", str(placeholder)])
    assert again.exit_code == 0 and db.scalar(select(func.count()).select_from(WorkdayOverride)) == 13


def test_load_workdays_command_reports_a_bad_file(app, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-13-01,0,x\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["load-workdays", str(bad)])
    assert result.exit_code != 0 and "应为 YYYY-MM-DD" in result.output


def test_district_page_adds_edits_and_deletes_overrides(as_role, db):
    client = as_role("district")
    response = client.post("/district/workdays/", data={"day": "2027-02-08", "is_workday": "0", "note": "春节"})
    assert response.status_code == 302
    row = db.get(WorkdayOverride, D("2027-02-08"))
    assert row is not None and row.is_workday is False and row.note == "春节"

    dup = client.post("/district/workdays/", data={"day": "2027-02-08", "is_workday": "1", "note": "重复"})
    page = dup.get_data(as_text=True)
    assert dup.status_code == 422 and "已有调休记录" in page and 'value="重复"' in page
    bad = client.post("/district/workdays/", data={"day": "2027-02-30", "is_workday": "0"})
    assert bad.status_code == 422

    edit = client.post("/district/workdays/2027-02-08/edit", data={"day": "2027-02-20", "is_workday": "1",
                                                                  "note": "春节调休上班"})
    assert edit.status_code == 302
    db.expire_all()
    assert db.get(WorkdayOverride, D("2027-02-08")) is None
    assert db.get(WorkdayOverride, D("2027-02-20")).is_workday is True
    listing = client.get("/district/workdays/?year=2027").get_data(as_text=True)
    assert "2027-02-20" in listing and "春节调休上班" in listing

    assert client.post("/district/workdays/2027-02-20/delete").status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(WorkdayOverride)) == 0
    assert client.post("/district/workdays/2027-02-20/delete").status_code == 404
    assert client.get("/district/workdays/not-a-date/edit").status_code == 404
    assert as_role("township").get("/district/workdays/").status_code == 403


def test_district_sees_a_warning_when_the_next_60_days_leave_the_calendars(as_role, db):
    with time_machine.travel(datetime(2026, 12, 1, 2, 0), tick=False):
        client = as_role("district")  # signed in at that time: a session idle for hours would have ended
        assert "超出 chinese_calendar 的数据范围" in client.get("/district/").get_data(as_text=True)
        assert "2027年" in client.get("/district/workdays/").get_data(as_text=True)
        workdays.save_override(db, D("2027-01-01"), False, "元旦")
        db.commit()
        page = client.get("/district/workdays/").get_data(as_text=True)
        assert "超出 chinese_calendar 的数据范围" in page and "未标记完整" in page  # one row is not the whole year
        assert "2027-01-04" not in page  # an ordinary Monday is not listed as if the table decided it
        assert "区里维护的调休表" in page  # ... but the one listed day is
        response = client.post("/district/workdays/years/2027/complete", follow_redirects=True)
        assert "已将2027年标记为“全年已录入”" in response.get_data(as_text=True)
        assert "超出 chinese_calendar 的数据范围" not in client.get("/district/").get_data(as_text=True)
        assert "全年已录入" in client.get("/district/workdays/").get_data(as_text=True)
        assert as_role("township").post("/district/workdays/years/2027/incomplete").status_code == 403
        client = as_role("district")
        client.post("/district/workdays/years/2027/incomplete")
        assert "超出 chinese_calendar 的数据范围" in client.get("/district/").get_data(as_text=True)
        assert client.post("/district/workdays/years/1900/complete", follow_redirects=True).status_code == 200
    with time_machine.travel(datetime(2025, 6, 1, 2, 0), tick=False):
        db.execute(WorkdayOverride.__table__.delete())
        db.commit()
        page = as_role("district").get("/district/workdays/").get_data(as_text=True)
        assert "超出 chinese_calendar 的数据范围" not in page
        assert "2025-06-02 一" in page  # the Dragon Boat Festival's Monday off shows among the coming special days


def test_the_same_override_added_twice_at_once_gives_one_row_and_a_clear_conflict(app, db):
    import threading

    make_session = app.extensions["db_sessionmaker"]
    barrier = threading.Barrier(8, timeout=60)
    results: list[str] = []

    def attempt():
        with make_session() as session:
            barrier.wait()
            try:
                workdays.save_override(session, D("2027-02-08"), False, "春节")
                session.commit()
                results.append("won")
            except workdays.Conflict as exc:
                session.rollback()
                results.append("conflict" if exc.status == 409 and "刚刚已被他人添加" in exc.message else exc.message)
            except workdays.DomainError as exc:  # lost before even trying to insert: the row was already there
                session.rollback()
                results.append("exists" if "已有调休记录" in exc.message else exc.message)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results.count("won") == 1 and len(results) == 8
    assert set(results) <= {"won", "conflict", "exists"}
    assert db.scalar(select(func.count()).select_from(WorkdayOverride)) == 1


def test_the_page_answers_a_clash_at_insert_with_409_not_500(as_role, db, app):
    """The clash the check cannot see (a row committed between the check and the insert) is a conflict."""
    from sqlalchemy import event

    client = as_role("district")
    engine = app.extensions["db_engine"]

    done = []

    def sneak_in(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO WORKDAY_OVERRIDE") and not done:
            done.append(True)
            with app.extensions["db_sessionmaker"]() as other:
                other.add(WorkdayOverride(day=D("2027-02-08"), is_workday=False, note="别人"))
                other.commit()

    event.listen(engine, "before_cursor_execute", sneak_in)
    response = client.post("/district/workdays/", data={"day": "2027-02-08", "is_workday": "0", "note": "春节"})
    event.remove(engine, "before_cursor_execute", sneak_in)
    assert response.status_code == 422 and "刚刚已被他人添加" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(WorkdayOverride, D("2027-02-08")).note == "别人"


@pytest.mark.parametrize("flag", ["5", "", "yes"])
def test_the_page_takes_only_0_or_1_for_a_working_day(as_role, db, flag):
    response = as_role("district").post("/district/workdays/", data={"day": "2027-02-08", "is_workday": flag})
    assert response.status_code == 422 and "invalid-feedback" in response.get_data(as_text=True)
    assert db.get(WorkdayOverride, D("2027-02-08")) is None
    with pytest.raises(workdays.DomainError, match="只能是 0（放假）或 1（上班）") as caught:
        workdays.save_override(db, D("2027-02-08"), 5 if flag == "5" else flag)
    assert caught.value.field == "is_workday"
