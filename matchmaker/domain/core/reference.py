"""Reference data from seed/: townships, the 22 banks with the appendix targets, product kinds and the
demo product catalogue. Loading is idempotent (existing rows are updated, not duplicated)."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Bank, BankTarget, Product, ProductKind, Township
from .errors import DomainError

APPENDIX_YEARS = (2021, 2022, 2023)


@dataclass
class AppendixRow:
    seq: int
    bank: str
    targets: dict[int, tuple[Decimal, Decimal]]  # year -> (ldr %, industrial loans 亿元)


@dataclass
class Appendix:
    rows: list[AppendixRow]
    stated_totals: dict[int, Decimal] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def row_sums(self) -> dict[int, Decimal]:
        return {y: sum((r.targets[y][1] for r in self.rows), Decimal(0)) for y in APPENDIX_YEARS}


def _dec(text: str, where: str) -> Decimal:
    try:
        return Decimal(text.strip().rstrip("%").replace(",", ""))
    except InvalidOperation:
        raise DomainError(f"{where}：“{text}”不是数字") from None


def parse_appendix(path: Path) -> Appendix:
    """Parse the appendix table as published (two header rows, % signs, a 合计 row) and compare the stated
    totals with the sums of the rows: a difference is a warning naming the column, not an error."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh, delimiter="\t"))
    rows: list[AppendixRow] = []
    appendix = Appendix(rows=rows)
    for lineno, cells in enumerate(lines, start=1):
        cells = [c.strip() for c in cells] + [""] * 8
        if not any(cells):
            continue
        if cells[0].isdigit():
            targets = {}
            for i, year in enumerate(APPENDIX_YEARS):
                where = f"第{lineno}行 {year}年"
                targets[year] = (_dec(cells[2 + 2 * i], where + "存贷比"), _dec(cells[3 + 2 * i], where + "工业贷款余额"))
            rows.append(AppendixRow(int(cells[0]), cells[1], targets))
        elif "合计" in cells[0] or "合计" in cells[1]:
            for i, year in enumerate(APPENDIX_YEARS):
                if cells[3 + 2 * i]:
                    appendix.stated_totals[year] = _dec(cells[3 + 2 * i], f"第{lineno}行合计")
    sums = appendix.row_sums()
    for year, stated in appendix.stated_totals.items():
        if stated != sums[year]:
            appendix.warnings.append(
                f"{year}年工业贷款余额：表中合计 {stated} 亿元，各行相加为 {sums[year]} 亿元，相差 {stated - sums[year]:+} 亿元"
            )
    return appendix


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def load_townships(session: Session, seed_dir: Path) -> int:
    existing = {t.code: t for t in session.scalars(select(Township))}
    for row in _read_csv(seed_dir / "townships.csv"):
        t = existing.get(row["code"]) or Township(code=row["code"])
        t.name, t.kind = row["name"], row["kind"]
        session.add(t)
    session.flush()
    return len(existing)


def load_banks(session: Session, seed_dir: Path) -> Appendix:
    """The 22 banks and their 2021–2023 targets from the appendix table."""
    appendix = parse_appendix(seed_dir / "bank_targets_appendix.tsv")
    branches = {r["bank"]: r for r in _read_csv(seed_dir / "bank_branches.csv")}
    townships = {t.name: t.id for t in session.scalars(select(Township))}
    banks = {b.name: b for b in session.scalars(select(Bank))}
    for row in appendix.rows:
        bank = banks.get(row.bank) or Bank(name=row.bank)
        bank.seq = row.seq
        branch = branches.get(row.bank, {})
        bank.group_name = branch.get("group", "")
        bank.township_id = townships.get(branch.get("township", ""))
        session.add(bank)
        session.flush()
        have = {t.year: t for t in session.scalars(select(BankTarget).where(BankTarget.bank_id == bank.id))}
        for year, (ldr, loans) in row.targets.items():
            target = have.get(year) or BankTarget(bank_id=bank.id, year=year)
            target.ldr_pct, target.industrial_loans_yi = ldr, loans
            session.add(target)
    session.flush()
    return appendix


def load_product_kinds(session: Session, seed_dir: Path) -> None:
    for row in _read_csv(seed_dir / "product_kinds.csv"):
        kind = session.get(ProductKind, row["code"]) or ProductKind(code=row["code"])
        kind.name, kind.description, kind.policy_ref = row["name"], row["description"], row["policy_ref"]
        session.add(kind)
    session.flush()


def load_products(session: Session, seed_dir: Path) -> int:
    banks = {b.name: b.id for b in session.scalars(select(Bank))}
    existing = {(p.bank_id, p.name): p for p in session.scalars(select(Product))}
    count = 0
    for row in _read_csv(seed_dir / "products.csv"):
        bank_id = banks[row["bank"]]
        p = existing.get((bank_id, row["name"])) or Product(bank_id=bank_id, name=row["name"])
        p.kind_code = row["kind"]
        p.min_amount = int(row["min_amount_wan"]) * 10000
        p.max_amount = int(row["max_amount_wan"]) * 10000
        p.min_term_months = int(row["min_term_months"])
        p.max_term_months = int(row["max_term_months"])
        p.collateral = [c for c in row["collateral"].split("|") if c]
        p.first_loan_only = row["first_loan_only"] == "1"
        pref = [c for c in row["preferred_whitelists"].split("|") if c]
        p.rules = {"preferred_whitelists": pref} if pref else {}
        p.rate_note = row["rate_note"]
        session.add(p)
        count += 1
    session.flush()
    return count


def load_all(session: Session, seed_dir: Path) -> list[str]:
    """Load every reference table; returns the warnings to show (e.g. appendix totals that differ)."""
    load_townships(session, seed_dir)
    appendix = load_banks(session, seed_dir)
    load_product_kinds(session, seed_dir)
    load_products(session, seed_dir)
    from ..ledgers.instruments import seed as seed_instruments

    seed_instruments(session)
    return appendix.warnings
