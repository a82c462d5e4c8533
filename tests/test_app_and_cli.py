"""App factory, configuration, /healthz, reference data loading and the CLI."""
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select

from matchmaker import create_app
from matchmaker.config import SEED_DIR, ConfigError
from matchmaker.domain.core import reference
from matchmaker.models import Bank, BankTarget, Township, User


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite"})


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_database_down(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none", "TESTING": True,
                      "SECRET_KEY": "x"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["database"] == "unavailable" and body["reason"]


def test_appendix_parsed_and_totals_difference_reported():
    appendix = reference.parse_appendix(SEED_DIR / "bank_targets_appendix.tsv")
    assert len(appendix.rows) == 22
    assert appendix.rows[0].bank == "农发行枣庄分行业务平台"
    assert appendix.rows[0].targets[2021] == (Decimal("498.00"), Decimal("0.05"))
    assert appendix.row_sums() == {2021: Decimal("72.41"), 2022: Decimal("92.80"), 2023: Decimal("111.43")}
    assert appendix.stated_totals == {2021: Decimal("72.41"), 2022: Decimal("92.83"), 2023: Decimal("111.40")}
    assert len(appendix.warnings) == 2
    assert "2022年工业贷款余额" in appendix.warnings[0] and "+0.03" in appendix.warnings[0]
    assert "2023年工业贷款余额" in appendix.warnings[1] and "-0.03" in appendix.warnings[1]


def test_appendix_matches_the_clean_csv():
    import csv

    appendix = reference.parse_appendix(SEED_DIR / "bank_targets_appendix.tsv")
    with open(SEED_DIR / "bank_targets_2021_2023.csv", encoding="utf-8") as fh:
        clean = list(csv.DictReader(fh))
    for row, c in zip(appendix.rows, clean):
        assert row.bank == c["bank"]
        assert row.targets[2023] == (Decimal(c["ldr_2023_pct"]), Decimal(c["industrial_loans_2023_yi"]))


def test_appendix_with_text_in_a_number_cell_names_the_row(tmp_path):
    bad = tmp_path / "appendix.tsv"
    text = (SEED_DIR / "bank_targets_appendix.tsv").read_text(encoding="utf-8").replace("3.70", "三点七", 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="第4行"):
        reference.parse_appendix(bad)


def test_seed_is_idempotent(app, db):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed"])
        assert result.exit_code == 0, result.output
        assert "相差" in result.output  # the appendix warning names the difference
    assert db.scalar(select(func.count()).select_from(Township)) == 11
    assert db.scalar(select(func.count()).select_from(Bank)) == 22
    assert db.scalar(select(func.count()).select_from(BankTarget)) == 66
    names = {t.name for t in db.scalars(select(Township))}
    assert {"中心街街道", "垎塔埠街道", "矿区街道", "文化路街道", "龙山路街道", "光明路街道",
            "孟庄镇", "税郭镇", "齐村镇", "西王庄镇", "永安镇"} == names


def test_create_user_command(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--username", "mgr-cli", "--role", "bank_manager",
                                 "--password", "long-enough-1", "--bank", "工行市中支行"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "mgr-cli"))
    assert user.bank.name == "工行市中支行"
    result = runner.invoke(args=["create-user", "--username", "mgr-cli2", "--role", "bank_manager",
                                 "--password", "long-enough-1"])
    assert result.exit_code != 0 and "所属银行" in result.output


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    """Replaying every migration (an upgraded install) creates every table and column the models declare, so a
    new install, built from the models and stamped at the newest migration, has the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from matchmaker.db import make_engine
    from matchmaker.domain.core import schema
    from matchmaker.models import Base

    engine = make_engine(f"sqlite:///{tmp_path}/migrated.sqlite")
    schema.migrate(engine)
    with engine.connect() as conn:
        migrated_head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        migrated = {t: sorted(c["name"] for c in inspect(conn).get_columns(t)) for t in inspect(conn).get_table_names()}
        migrated_triggers = sorted(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'").scalars())
    tables = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert tables == []
    engine.dispose()

    fresh = make_engine(f"sqlite:///{tmp_path}/fresh.sqlite")
    schema.upgrade(fresh)  # empty: built from the models and stamped
    with fresh.connect() as conn:
        built = {t: sorted(c["name"] for c in inspect(conn).get_columns(t)) for t in inspect(conn).get_table_names()}
        triggers = sorted(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'").scalars())
        head = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert built == migrated and triggers == migrated_triggers and triggers
    assert head == migrated_head
    schema.upgrade(fresh)  # not empty: the migrations run (nothing to do at head)
    fresh.dispose()


def test_demo_builds_every_state(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite", "TESTING": True, "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=["demo", "--firms", "60", "--requests", "120"])
    assert result.exit_code == 0, result.output
    assert "demo-2026-pass" in result.output and "district" in result.output
    from matchmaker.models import FinancingRequest

    with app.extensions["db_sessionmaker"]() as session:
        states = set(session.scalars(select(FinancingRequest.state)))
    assert {"draft", "routed", "offered", "accepted", "funded"} <= states
    app.extensions["db_engine"].dispose()
