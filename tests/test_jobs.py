"""Background jobs through the real queue (Huey with its SQLite storage, a consumer thread; Redis when it is up):
progress in its own transactions, the white-list import's whole error list, expiry of previews, the commit as a
job, bulletins / event reports / outbox as jobs, and who may see which job (the jobs page and the JSON)."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from matchmaker import create_app
from matchmaker.domain.core.errors import DomainError
from matchmaker.domain.firms.uscc import make as make_uscc
from matchmaker.domain.jobs import records
from matchmaker.models import Job, WhiteListBatch, WhiteListImport, utcnow
from matchmaker.queue import default_jobs_url, unique_name

from .events_support import make_event
from .jobs_support import Worker
from .wl_files import csv_bytes, xlsx

# the job queue's consumer threads of one module run on one test worker
pytestmark = pytest.mark.xdist_group("jobs")


def _upload(client, data, filename="名单.xlsx", kind="above_scale", batch="2023"):
    response = client.post("/whitelists/import", data={"kind": kind, "batch": batch, "sheet": "",
                                                       "file": (io.BytesIO(data), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return int(re.search(r"/whitelists/imports/(\d+)", response.headers["Location"]).group(1))


def test_the_queue_file_sits_next_to_the_database_or_in_the_instance_folder():
    assert default_jobs_url("sqlite:////srv/mm/app.sqlite", "/srv/inst") == "sqlite:////srv/mm/app.jobs.sqlite"
    assert default_jobs_url("postgresql+psycopg://u@h/db", "/srv/inst") == "sqlite:////srv/inst/jobs.sqlite"


def test_progress_is_written_in_its_own_transaction_and_seen_by_another_session(app, db, users):
    job = records.create(db, "upkeep", users["district"])
    db.commit()
    factory = app.extensions["db_sessionmaker"]
    progress = records.Progress(factory, job.id, every=0)
    progress.phase("检查每一行", 10)
    progress.update(4)
    with factory() as other:  # not the session that made the job: committed, not just flushed
        seen = other.get(Job, job.id)
        assert (seen.phase, seen.done, seen.total, seen.percent) == ("检查每一行", 4, 10, 40)


def test_an_import_runs_as_a_job_and_its_page_polls_the_json(db, as_role, users, worker, firm):
    district = as_role("district")
    rows = [["企业名称", "统一社会信用代码"]] + [[f"枣庄测试{i}号商贸有限公司", ""] for i in range(30)]
    import_id = _upload(district, xlsx(rows))
    worker.wait()
    db.expire_all()
    imp = db.get(WhiteListImport, import_id)
    job = db.get(Job, imp.job_id)
    assert imp.state == "preview" and job.kind == "wl_check" and job.state == "done"
    assert job.created_by_id == users["district"].id and job.started_at and job.finished_at
    assert job.result["url"] == f"/whitelists/imports/{import_id}"
    data = district.get(f"/jobs/{job.id}.json").get_json()
    assert data["state"] == "done" and data["percent"] == 100 and data["finished"] is True
    page = district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "本预览保留至" in page and "<script>" not in page  # CSP: no inline script
    assert "待处理的导入" in district.get("/whitelists/").get_data(as_text=True)  # found again under the lists
    # the commit is a job too; a second click while it is under way is refused
    assert district.post(f"/whitelists/imports/{import_id}/commit").status_code == 302
    second = district.post(f"/whitelists/imports/{import_id}/commit", follow_redirects=True)
    worker.wait()
    assert second.status_code in (200, 409)
    db.expire_all()
    assert db.get(WhiteListImport, import_id).state == "committed"
    assert db.scalar(select(func.count()).select_from(WhiteListBatch)) == 1
    commit_job = db.scalars(select(Job).where(Job.kind == "wl_commit")).all()
    assert len(commit_job) == 1 and commit_job[0].state == "done" and commit_job[0].result["rows"] == 30


def test_a_page_left_while_the_job_is_queued_shows_a_progress_bar_fed_by_json(db, as_role, users):
    district = as_role("district")  # no worker running: the job waits in the queue
    import_id = _upload(district, xlsx([["企业名称"], ["枣庄甲有限公司"]]))
    page = district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    job_id = db.get(WhiteListImport, import_id).job_id
    assert f'data-job-url="/jobs/{job_id}.json"' in page and "js/jobs.js" in page and "排队中" in page
    assert "正在检查" in district.get("/whitelists/").get_data(as_text=True)
    assert district.get(f"/jobs/{job_id}.json").get_json()["state"] == "queued"


def test_every_error_is_in_the_download_and_the_page_says_how_many(db, as_role, users, worker):
    district = as_role("district")
    bad = make_uscc("91370402MA3C00001")[:17] + ("0" if make_uscc("91370402MA3C00001")[-1] != "0" else "1")
    rows = [["企业名称", "统一社会信用代码"]] + [[f"枣庄错误{i}号有限公司", bad] for i in range(250)]
    import_id = _upload(district, csv_bytes(rows), "bad.csv")
    worker.wait()
    response = district.get(f"/whitelists/imports/{import_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "共有 250 处错误" in page and "下面列出前 200 处" in page
    assert page.count("第2行") == 1 and "第251行" not in page  # the first 200 shown, not a silent cap
    download = district.get(f"/whitelists/imports/{import_id}/errors.xlsx")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0] == ("行号", "列", "值", "原因") and len(cells) == 251
    assert cells[1][:3] == (2, "统一社会信用代码", bad) and cells[250][0] == 251 and "校验" in cells[1][3]
    for role in ("township", "bank_manager", "enterprise"):
        assert as_role(role).get(f"/whitelists/imports/{import_id}/errors.xlsx").status_code == 403


def test_a_preview_not_committed_in_seven_days_expires(app, db, as_role, users, worker):
    district = as_role("district")
    import_id = _upload(district, xlsx([["企业名称"], ["枣庄过期有限公司"]]))
    worker.wait()
    db.expire_all()
    imp = db.get(WhiteListImport, import_id)
    assert imp.state == "preview" and timedelta(days=6) < imp.expires_at - utcnow() <= timedelta(days=7)
    imp.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    app.extensions["jobs"].submit_internal("upkeep")  # the hourly periodic job, run now
    worker.wait()
    db.expire_all()
    assert db.get(WhiteListImport, import_id).state == "expired"
    upkeep = db.scalar(select(Job).where(Job.kind == "upkeep"))
    assert upkeep.state == "done" and upkeep.result["expired_previews"] == 1
    page = district.get(f"/whitelists/imports/{import_id}").get_data(as_text=True)
    assert "已过期删除" in page
    refused = district.post(f"/whitelists/imports/{import_id}/commit", follow_redirects=True)
    assert "已过期删除：请重新上传" in refused.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(WhiteListBatch)) == 0


def test_jobs_nobody_ran_expire(db, users):
    job = records.create(db, "upkeep", None)
    job.created_at = utcnow() - timedelta(hours=25)
    db.commit()
    assert records.expire_stale(db) == 1
    db.commit()
    assert db.get(Job, job.id).state == "expired" and "24小时" in db.get(Job, job.id).error


def test_who_sees_which_job(db, as_role, users, client):
    mine = records.create(db, "event_report", users["enterprise"], {"event_id": 1})
    district_job = records.create(db, "bulletin_year", users["district"], {"kind": "annual", "key": "2022"})
    db.commit()
    assert as_role("enterprise").get(f"/jobs/{mine.id}.json").get_json()["id"] == mine.id
    assert as_role("district").get(f"/jobs/{mine.id}.json").status_code == 200  # the district sees every job
    for role in ("other_enterprise", "township", "bank_manager", "bank_admin"):
        assert as_role(role).get(f"/jobs/{mine.id}.json").status_code == 404, role
        assert as_role(role).get(f"/jobs/{mine.id}").status_code == 404, role
        assert as_role(role).get(f"/jobs/{district_job.id}/file").status_code == 404, role
    assert as_role("enterprise").get(f"/jobs/{district_job.id}.json").status_code == 404
    assert client.get(f"/jobs/{mine.id}.json").status_code in (302, 401)  # signed out
    assert as_role("district").get("/jobs/99999.json").status_code == 404
    district_page = as_role("district").get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{mine.id}"' in district_page and f'href="/jobs/{district_job.id}"' in district_page
    own_page = as_role("enterprise").get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{mine.id}"' in own_page and f'href="/jobs/{district_job.id}"' not in own_page
    assert as_role("township").get("/jobs/?state=bogus&kind=x&sort=zz&page=-1").status_code == 200


def test_a_bulletin_for_a_year_is_made_by_a_job_and_downloaded(db, as_role, users, worker):
    district = as_role("district")
    response = district.post("/jobs/start/bulletin/annual/2022")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    worker.wait()
    job = db.scalar(select(Job).where(Job.kind == "bulletin_year"))
    assert job.state == "done", job.error
    assert job.result["url"] in district.get(f"/jobs/{job.id}").get_data(as_text=True)
    download = district.get(job.result["url"])
    assert download.status_code == 200 and openpyxl.load_workbook(io.BytesIO(download.data)).sheetnames
    assert as_role("township").post("/jobs/start/bulletin/annual/2022").status_code == 403
    assert district.post("/jobs/start/bulletin/annual/zz").status_code == 404


def test_an_event_report_is_made_by_a_job_for_who_may_see_it(db, as_role, users, worker, bank):
    event = make_event(db, users["township"], banks=[bank])
    db.commit()
    township = as_role("township")
    assert township.post(f"/jobs/start/event-report/{event.id}").status_code == 302
    worker.wait()
    job = db.scalar(select(Job).where(Job.kind == "event_report"))
    assert job.state == "done" and job.params == {"event_id": event.id, "bank_id": None, "locale": "zh_Hans_CN"}, job.error
    assert township.get(job.result["url"]).status_code == 200
    assert as_role("other_township").post(f"/jobs/start/event-report/{event.id}").status_code in (403, 404)


def test_send_outbox_runs_as_a_job(app, db, users, worker):
    job_id = app.extensions["jobs"].submit_internal("send_outbox", {"limit": 10})
    worker.wait()
    job = db.get(Job, job_id)
    assert job.state == "done" and job.result["claimed"] == 0


def test_a_queue_that_cannot_be_reached_fails_the_job_with_a_message_not_a_500(app_config, users, db):
    app = create_app(dict(app_config, JOBS_URL="redis://127.0.0.1:1/0"))
    client = app.test_client()
    client.post("/login", data={"username": users["district"].username, "password": "test-pass-123"})
    response = client.post("/whitelists/import", data={"kind": "above_scale", "batch": "2023", "sheet": "",
                                                       "file": (io.BytesIO(xlsx([["企业名称"], ["甲有限公司"]])), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "后台任务队列暂时不可用" in response.get_data(as_text=True)
    assert db.scalar(select(Job.state)) == "failed"
    with pytest.raises(DomainError):
        app.extensions["jobs"].submit_internal("upkeep")
    app.extensions["db_engine"].dispose()


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_same_jobs_run_through_redis(app_config, users, db):
    app = create_app(dict(app_config, JOBS_URL="redis://127.0.0.1:6379/15", JOBS_NAME=unique_name()))
    worker = Worker(app)
    try:
        client = app.test_client()
        client.post("/login", data={"username": users["district"].username, "password": "test-pass-123"})
        import_id = _upload(client, xlsx([["企业名称"], ["枣庄红狮有限公司"]]))
        worker.wait()
        db.expire_all()
        assert db.get(WhiteListImport, import_id).state == "preview"
        assert db.get(Job, db.get(WhiteListImport, import_id).job_id).state == "done"
    finally:
        worker.stop()
        app.extensions["jobs"].huey.storage.flush_all()
        app.extensions["db_engine"].dispose()


def test_matchmaker_run_starts_a_consumer_thread_so_it_works_alone(monkeypatch, database_url, tmp_path):
    from click.testing import CliRunner

    from matchmaker import cli

    monkeypatch.setenv("MATCHMAKER_DATABASE_URL", database_url)
    monkeypatch.setenv("MATCHMAKER_JOBS_URL", f"sqlite:///{tmp_path / 'run-jobs.sqlite'}")
    seen = {}

    def fake_run_simple(host, port, app, **kwargs):
        queue = app.extensions["jobs"]
        seen["alive"] = queue.thread is not None and queue.thread.is_alive()
        job_id = queue.submit_internal("send_outbox", {"limit": 1})
        factory = app.extensions["db_sessionmaker"]
        for _ in range(200):
            with factory() as session:
                seen["state"] = session.get(Job, job_id).state
            if seen["state"] == "done":
                break
            import time

            time.sleep(0.05)
        queue.stop_thread()

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    result = CliRunner().invoke(cli.main, ["run", "--port", "5999"])
    assert result.exit_code == 0, result.output
    assert "后台任务在本进程中运行" in result.output
    assert seen == {"alive": True, "state": "done"}


def test_matchmaker_worker_is_a_process_that_runs_the_queue(database_url, tmp_path, db, users):
    import os
    import signal
    import subprocess
    import sys
    import time

    jobs_url = f"sqlite:///{tmp_path / 'worker-jobs.sqlite'}"
    env = dict(os.environ, MATCHMAKER_DATABASE_URL=database_url, MATCHMAKER_JOBS_URL=jobs_url)
    app = create_app({"DATABASE_URL": database_url, "JOBS_URL": jobs_url, "SECRET_KEY": "x", "TESTING": True})
    job_id = app.extensions["jobs"].submit_internal("send_outbox", {"limit": 1})
    proc = subprocess.Popen([sys.executable, "-m", "matchmaker.cli", "worker", "--workers", "1", "--no-periodic"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        state = None
        for _ in range(300):
            db.expire_all()
            state = db.get(Job, job_id).state
            if state == "done":
                break
            time.sleep(0.1)
        assert state == "done"
    finally:
        proc.send_signal(signal.SIGINT)  # graceful: running jobs finish
        out, _ = proc.communicate(timeout=30)
        app.extensions["db_engine"].dispose()
    assert "matchmaker worker" in out
