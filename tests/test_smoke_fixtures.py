"""The fixtures give a seeded database and working logins."""
from sqlalchemy import func, select

from matchmaker.models import Bank, Product, Township


def test_seeded_reference_data(db):
    assert db.scalar(select(func.count()).select_from(Township)) == 11
    assert db.scalar(select(func.count()).select_from(Bank)) == 22
    assert db.scalar(select(func.count()).select_from(Product)) >= 50


def test_each_role_lands_on_its_home(as_role):
    expected = {"enterprise": "/enterprise/", "bank_manager": "/bank/", "bank_admin": "/bank/",
                "township": "/township/", "district": "/district/"}
    for role, path in expected.items():
        response = as_role(role).get("/")
        assert response.status_code == 302 and response.headers["Location"].endswith(path), role
