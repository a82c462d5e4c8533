"""Fixes from the review of the core request/lead code: the product list's search takes % and _ literally."""
from sqlalchemy import func, select

from matchmaker.models import Product


def test_product_search_treats_wildcards_literally(as_role, db):
    client = as_role("district")
    total = db.scalar(select(func.count()).select_from(Product))
    assert total and f"共 {total} 条" in client.get("/district/products").get_data(as_text=True)
    for q in ("%", "_"):
        page = client.get("/district/products", query_string={"q": q}).get_data(as_text=True)
        assert f"共 {total} 条" not in page, q
    name = db.scalar(select(Product.name).order_by(Product.id))
    assert name in client.get("/district/products", query_string={"q": name}).get_data(as_text=True)
