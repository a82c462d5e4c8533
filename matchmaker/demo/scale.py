"""A district's worth of data after five years, fast: the ordinary demo (accounts, products, white lists, events,
reports, ratings, referrals — through the domain functions) and then the bulk — firms, requests, their leads,
offers, history, notices, ratings, a large white list, escalations — written with COPY on PostgreSQL (executemany
on SQLite). Used by `matchmaker demo` for large sizes and by benchmarks/scale_data.py.

The bulk follows the demo's story: a request is filed and routed to two or three banks; older ones have run their
course (funded, declined, withdrawn, expired leads moved on), the last weeks' are still open. Each step leaves its
history row and the notices the real code would send, at the times the step happened."""
from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from hashlib import sha256
from json.encoder import encode_basestring as _json_str

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from ..domain.core import audit_chain
from ..domain.firms.records import pinyin_forms
from ..domain.firms.uscc import make as make_uscc
from ..models import Bank, FinancingRequest, Firm, History, Product, ProductKind, Township, User, utcnow
from ..models.whitelists import WHITELIST_KINDS
from . import core as demo
from .names import CORES, FORMS, REGIONS, TRADES

BASE_FIRMS, BASE_REQUESTS = 120, 60  # the ordinary demo underneath the bulk: its story; the bulk brings the volume
BULK_FROM_FIRMS, BULK_FROM_REQUESTS = 1000, 1500  # `matchmaker demo` above these sizes writes in bulk
YEARS = 5
OPEN_DAYS = 20  # requests of the last weeks are still being worked; older ones have run their course
OUTCOMES = (["draft"] * 3 + ["routed"] * 6 + ["claimed"] * 3 + ["contacted"] * 3 + ["in_review"] * 3
            + ["offered"] * 4 + ["accepted"] * 3 + ["disbursed"] * 2 + ["funded"] * 8 + ["declined"] * 3
            + ["withdrawn"] * 1)
SETTLED = {"routed": "declined", "claimed": "declined", "contacted": "funded", "in_review": "funded",
           "offered": "withdrawn", "accepted": "funded", "disbursed": "funded"}  # an old request's end
DECLINES = ["collateral", "credit_record", "credit_policy", "over_capacity", "documents", "unreachable"]
CHUNK = 20000


class _Draws(random.Random):
    """random.Random with `choice` and `randint` from one float draw: the bulk makes millions of them, and the
    exact integer draws (getrandbits until in range) were a third of its generation time. Bias < 2**-40."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


class Progress:
    """Phase-by-phase progress: `phase(label, total)` starts a phase, `advance(n)` counts within it."""

    def phase(self, label: str, total: int) -> None:  # pragma: no cover - trivial
        pass

    def advance(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def _bulk(session: Session | Connection, table: str, columns: list[str], rows: Iterable[tuple],
          progress: Progress) -> int:
    """Write rows into `table`: COPY on PostgreSQL, executemany in chunks elsewhere. Returns the row count."""
    conn = session.connection() if isinstance(session, Session) else session
    n = 0
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
                if n % CHUNK == 0:
                    progress.advance(CHUNK)
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        raw = conn.connection.driver_connection
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(str(v) if isinstance(v, Decimal) else v for v in row))
            n += 1
            if len(batch) == CHUNK:
                raw.executemany(sql, batch)
                batch.clear()
                progress.advance(CHUNK)
        if batch:
            raw.executemany(sql, batch)
    progress.advance(n % CHUNK)
    return n


def _next_id(session: Session, table: str) -> int:
    return (session.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1


def _fix_sequences(session: Session, tables: list[str]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))"))


@lru_cache(maxsize=None)
def _pinyin(part: str) -> tuple[str, str]:
    return pinyin_forms(part)


def _firm_rows(session: Session, count: int, rng: random.Random, start_id: int, now: datetime,
               progress: Progress) -> tuple[list[tuple[int, int, str]], Iterator[tuple]]:
    """(id, township_id, name) of each new firm (filled as the rows are drawn), and their table rows, drawn as
    they are written (so the phase's bar moves from the start). Pinyin per name part (cached)."""
    townships = list(session.scalars(select(Township.id).order_by(Township.id)))
    taken_names = set(session.scalars(select(Firm.name)))
    taken_codes = set(session.scalars(select(Firm.uscc).where(Firm.uscc.is_not(None))))
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    firms: list[tuple[int, int, str]] = []

    def rows() -> Iterator[tuple]:
        while len(firms) < count:
            industry = rng.choice(list(TRADES))
            parts = (rng.choice(REGIONS), rng.choice(CORES) + (rng.choice(CORES)[0] if rng.random() < 0.35 else ""),
                     rng.choice(TRADES[industry]), rng.choice(FORMS))
            name = "".join(parts)
            if name in taken_names:
                continue
            taken_names.add(name)
            rural = industry == "agriculture" and rng.random() < 0.5
            code = None
            while code is None or code in taken_codes:
                prefix = "N2" if rural else rng.choice(["91", "92", "93"])
                code = make_uscc(prefix + "370402" + "".join(rng.choice(alphabet) for _ in range(9)))
            taken_codes.add(code)
            forms = [_pinyin(p) for p in parts if p]
            firm_id = start_id + len(firms)
            township = townships[firm_id % len(townships)]
            created = now - timedelta(days=rng.randint(0, 365 * YEARS + 200))
            firms.append((firm_id, township, name))
            yield (firm_id, code, name, "".join(f for f, _ in forms), "".join(i for _, i in forms), township,
                   industry, rng.choice(["micro", "small", "small", "medium", "large"]), rng.randint(1995, 2024),
                   rng.random() < 0.7, rng.choice(["A", "A", "B", "M", None]), None,
                   rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["经理", "总", "会计", "主任"]),
                   f"13{rng.randint(100000000, 999999999)}", "", "", created, created)

    return firms, rows()


FIRM_COLUMNS = ["id", "uscc", "name", "name_pinyin", "name_initials", "township_id", "industry", "size",
                "founded_year", "has_bank_loan", "tax_credit_grade", "existing_bank_debt", "contact_person",
                "contact_phone", "address", "description", "created_at", "updated_at"]
REQUEST_COLUMNS = ["id", "firm_id", "created_by_id", "amount", "term_months", "purpose", "collateral",
                   "products_of_interest", "linked_project", "renewal", "state", "created_at", "submitted_at",
                   "updated_at"]
LEAD_COLUMNS = ["id", "request_id", "bank_id", "product_id", "state", "rank", "score", "score_parts", "manager_id",
                "created_at", "claim_deadline", "claimed_at", "contacted_at", "decided_at", "decline_code",
                "decline_note", "disbursed_amount", "disbursed_at", "updated_at"]
OFFER_COLUMNS = ["id", "lead_id", "amount", "rate_pct", "term_months", "conditions", "state", "created_at"]
HISTORY_COLUMNS = ["entity", "entity_id", "request_id", "actor_id", "actor_role", "at", "from_state", "to_state",
                   "note"]
CHAINED_HISTORY_COLUMNS = ["id", *HISTORY_COLUMNS, "chain_seq", "prev_hash", "row_hash"]
NOTICE_COLUMNS = ["user_id", "kind", "title", "body", "link", "created_at", "read_at"]
RATING_COLUMNS = ["lead_id", "firm_id", "bank_id", "manager_id", "bank_score", "manager_score", "comment",
                  "created_by_id", "created_at", "outcome"]
ESCALATION_COLUMNS = ["lead_id", "kind", "due_on", "created_at"]


# history_hash: the content keys in the order audit_chain.row_hash sorts them, with their place in a history row
_HASH_ORDER = tuple((f'["{key}",', ["id", *HISTORY_COLUMNS].index(key)) for key in sorted(["id", *HISTORY_COLUMNS]))


def history_hash(seq: int, prev: str, row: tuple) -> str:
    """audit_chain.row_hash("history", seq, prev, …) of a row (id, *HISTORY_COLUMNS), the same digest written
    straight from the row's values: the general one canonicalises, sorts and JSON-encodes a dict per row, half
    of the bulk's Python time. tests/test_perf_paths.py pins the two together."""
    row_id, entity, entity_id, request_id, actor_id, role, at, from_state, to_state, note = row
    if not (type(at) is datetime and type(row_id) is type(entity_id) is type(request_id) is int
            and type(entity) is type(role) is type(to_state) is type(note) is str
            and (actor_id is None or type(actor_id) is int) and (from_state is None or type(from_state) is str)):
        return _history_hash_any(seq, prev, row)
    actor = "" if actor_id is None else f'["actor_id","{actor_id}"],'
    source = "" if from_state is None else f'["from_state",{_json_str(from_state)}],'
    payload = (f'["history",{seq},"{prev}",[{actor}["actor_role",{_json_str(role)}],'
               f'["at","{at.isoformat(" ", "microseconds")}"],["entity",{_json_str(entity)}],'
               f'["entity_id","{entity_id}"],{source}["id","{row_id}"],["note",{_json_str(note)}],'
               f'["request_id","{request_id}"],["to_state",{_json_str(to_state)}]]]')
    return sha256(payload.encode()).hexdigest()


def _history_hash_any(seq: int, prev: str, row: tuple) -> str:
    parts = []
    for key, i in _HASH_ORDER:
        value = row[i]
        if value is not None:
            parts.append(key + _json_str(value if type(value) is str else audit_chain._canon(value)) + "]")
    payload = f'["history",{seq},"{prev}",[{",".join(parts)}]]'
    return sha256(payload.encode()).hexdigest()


class _Story:
    """Generates the bulk requests and everything they leave behind, as rows per table."""

    def __init__(self, session: Session, rng: random.Random, now: datetime, firms: list[tuple[int, int, str]]):
        self.rng, self.now, self.firms = rng, now, firms
        self.today = (now + timedelta(hours=8)).date()
        self.products: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for pid, bank_id, name in session.execute(select(Product.id, Product.bank_id, Product.name)
                                                  .join(Bank).where(Product.active.is_(True), Bank.active.is_(True))):
            self.products[bank_id].append((pid, name))
        self.banks = dict(session.execute(select(Bank.id, Bank.name).where(Bank.id.in_(list(self.products)))).all())
        users = session.execute(select(User.id, User.role, User.bank_id, User.township_id)).all()
        self.managers = {b: u for u, role, b, _ in users if role == "bank_manager"}
        self.bank_staff: dict[int, list[int]] = defaultdict(list)
        for u, role, b, _ in users:
            if b is not None:
                self.bank_staff[b].append(u)
        self.officials: dict[int, list[int]] = defaultdict(list)
        for u, role, _, t in users:
            if role == "township":
                self.officials[t].append(u)
        self.kinds = list(session.scalars(select(ProductKind.code)))
        self.firm_users: dict[int, int] = {}
        self.requests, self.leads, self.offers = [], [], []
        self.history, self.notices, self.ratings, self.escalations = [], [], [], []
        self.chain: audit_chain.ChainWriter | None = None
        self.history_id = 0

    @staticmethod
    @lru_cache(maxsize=None)
    def _parts(bank_id: int, product: str, fit: float) -> str:
        w = {"product_fit": 30, "whitelist": 20, "target_gap": 20, "speed": 10, "workload": 10, "nearby": 10}
        values = {"product_fit": (fit, f"符合{product}的准入条件"), "whitelist": (0.0, "不在白名单"),
                  "target_gap": (0.5, "暂无工业贷款目标进度"), "speed": (0.4, "历史平均 1.5 天认领"),
                  "workload": (0.8, "在办线索 40 / 容量 200"), "nearby": (0.0, "网点不在企业所在镇街")}
        return json.dumps({k: {"value": v, "weight": w[k], "points": round(v * w[k], 2), "reason": r}
                           for k, (v, r) in values.items()}, ensure_ascii=False)

    def _notice(self, user_ids: Iterable[int], kind: str, title: str, body: str, link: str, at: datetime) -> None:
        old = at < self.now - timedelta(days=30)
        for uid in user_ids:
            read = at + timedelta(hours=self.rng.randint(1, 72)) if old and self.rng.random() < 0.9 else None
            self.notices.append((uid, kind, title[:200], body, link, at, read))

    def request(self, req_id: int, lead_id: int, offer_id: int) -> tuple[int, int]:
        """One request's rows; returns the next lead and offer ids."""
        rng = self.rng
        firm_id, township_id, firm_name = rng.choice(self.firms)
        actor = rng.choice(self.officials.get(township_id) or [None])
        age_days = int((1 - rng.random() ** 1.3) * 365 * YEARS)  # more requests lately: the platform grew
        created = self.now - timedelta(days=age_days, minutes=rng.randint(0, 1439))
        outcome = rng.choice(OUTCOMES)
        if age_days > OPEN_DAYS:
            outcome = SETTLED.get(outcome, outcome)
        amount = rng.choice([20, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 3000]) * 10000
        term = rng.choice([3, 6, 12, 12, 24, 36])
        purpose = rng.choice(demo.PURPOSES)
        hist = self.history
        hist.append(("request", req_id, req_id, actor, "township", created, None, "draft", "代企业填报"))
        if outcome == "draft":
            self.requests.append((req_id, firm_id, actor, amount, term, purpose, rng.choice(["none", "property"]),
                                  "[]", "", "续贷" in purpose, "draft", created, None, created))
            return lead_id, offer_id
        submitted = created + timedelta(minutes=rng.randint(1, 90))
        hist.append(("request", req_id, req_id, actor, "township", submitted, "draft", "submitted", ""))
        banks = rng.sample(list(self.products), min(len(self.products), rng.choice([2, 3, 3])))
        hist.append(("request", req_id, req_id, None, "system", submitted, "submitted", "routed",
                     f"推送至 {len(banks)} 家银行"))
        deadline = (submitted + timedelta(hours=8)).date() + timedelta(days=rng.choice([2, 3, 4]))
        wan = f"{amount // 10000}"
        state, last = "routed", submitted
        for rank, bank_id in enumerate(banks, start=1):
            pid, pname = rng.choice(self.products[bank_id])
            first = rank == 1
            stage = ({"offered": "approved", "accepted": "approved", "disbursed": "disbursed", "funded": "disbursed",
                      "withdrawn": "approved"}.get(outcome, outcome) if first
                     else rng.choice(["claimed", "declined", "in_review", "expired"]))
            if not first and age_days > OPEN_DAYS and stage in ("claimed", "in_review"):
                stage = "declined"
            if outcome == "withdrawn" and not first:
                stage = "declined" if stage != "expired" else stage
            lags = (timedelta(hours=rng.choice([2, 4, 6, 20, 30, 44, 70, 100])),
                    timedelta(hours=rng.choice([3, 8, 24, 48, 72])), timedelta(days=rng.choice([1, 2, 3, 5, 8])))
            if stage not in ("routed", "expired"):  # a recent request's steps stop at now
                if submitted + lags[0] > self.now:
                    stage = "routed"
                elif stage != "claimed" and submitted + lags[0] + lags[1] > self.now:
                    stage = "claimed"
                elif stage in ("declined", "approved", "disbursed") and submitted + sum(lags, timedelta()) > self.now:
                    stage = "in_review"
            manager = self.managers.get(bank_id)
            link = f"/bank/leads/{lead_id}"
            hist.append(("lead", lead_id, req_id, None, "system", submitted, None, "routed",
                         f"推送至{self.banks[bank_id]}，得分 {rng.uniform(40, 90):.1f}"))
            self._notice(self.bank_staff[bank_id], "new_lead", f"新线索：{firm_name} 申请 {wan} 万元",
                         f"匹配产品：{pname}；期限 {term} 个月。请在 {deadline} 前认领，认领后可查看联系方式。", link,
                         submitted)
            claimed = contacted = decided = None
            disbursed_at = disbursed_amount = decline = None
            lead_state = "routed"
            if stage == "expired" and submitted + timedelta(days=4) > self.now:
                stage = "routed"  # its claim deadline has not passed yet
            if stage == "expired" or (stage == "routed" and age_days > 4):
                lead_state = "expired"
                hist.append(("lead", lead_id, req_id, None, "system", submitted + timedelta(days=4), "routed",
                             "expired", "超时未认领，已转派"))
            elif stage != "routed":
                claimed = submitted + lags[0]
                lead_state = "claimed"
                hist.append(("lead", lead_id, req_id, manager, "bank_manager", claimed, "routed", "claimed", ""))
                self._notice(self.officials.get(township_id, []), "claim", f"{self.banks[bank_id]}已认领您的融资需求",
                             "", f"/requests/{req_id}", claimed)
                if stage != "claimed":
                    contacted = claimed + lags[1]
                    lead_state = "contacted"
                    hist.append(("lead", lead_id, req_id, manager, "bank_manager", contacted, "claimed", "contacted",
                                 "已电话联系企业"))
                    if stage != "contacted":
                        lead_state = "in_review"
                        hist.append(("lead", lead_id, req_id, manager, "bank_manager", contacted, "contacted",
                                     "in_review", ""))
                        if stage in ("declined", "approved", "disbursed"):
                            decided = contacted + lags[2]
                            lead_state = "declined" if stage == "declined" else "approved"
                            if stage == "declined":
                                decline = rng.choice(DECLINES)
                            hist.append(("lead", lead_id, req_id, manager, "bank_manager", decided, "in_review",
                                         lead_state, decline or "给出授信方案"))
                            self._notice(self.officials.get(township_id, []), "decision",
                                         f"{self.banks[bank_id]}的审批结果", "", f"/requests/{req_id}", decided)
            if lead_state == "approved":
                offer_amount = max(10000, int(amount * rng.choice([1, 1, 0.8, 0.6])) // 10000 * 10000)
                offer_state = {"offered": "open", "withdrawn": "released"}.get(outcome, "accepted")
                self.offers.append((offer_id, lead_id, offer_amount, Decimal(rng.choice(["3.45", "3.65", "3.85",
                                                                                          "4.10", "4.35"])),
                                    term, "", offer_state, decided))
                offer_id += 1
                state = "offered"
                if outcome in ("accepted", "disbursed", "funded"):
                    state = "accepted"
                    hist.append(("request", req_id, req_id, actor, "township",
                                 min(decided + timedelta(hours=5), self.now),
                                 "offered", "accepted", f"接受{self.banks[bank_id]}的方案"))
                if stage == "disbursed":
                    disbursed_at = min(self.today, (decided + timedelta(days=rng.randint(1, 10))).date())
                    disbursed_amount, lead_state = offer_amount, "disbursed"
                    hist.append(("lead", lead_id, req_id, manager, "bank_manager",
                                 min(datetime.combine(disbursed_at, datetime.min.time()) + timedelta(hours=2),
                                     self.now),
                                 "approved", "disbursed", f"放款 {offer_amount // 10000} 万元"))
                    if outcome == "funded":
                        state = "funded"
                        hist.append(("request", req_id, req_id, actor, "township",
                                     min(datetime.combine(disbursed_at, datetime.min.time()) + timedelta(hours=6),
                                         self.now),
                                     "accepted", "funded", "企业确认资金到账"))
                if outcome == "withdrawn":
                    lead_state = "released"
            if outcome == "withdrawn" and lead_state in ("routed", "claimed", "contacted", "in_review"):
                lead_state = "released"
            last = max(t for t in (last, claimed, contacted, decided) if t is not None)
            self.leads.append((lead_id, req_id, bank_id, pid, lead_state, rank, Decimal(f"{rng.uniform(40, 90):.3f}"),
                               self._parts(bank_id, pname, 0.6), manager if claimed else None, submitted, deadline,
                               claimed, contacted, decided, decline, "", disbursed_amount, disbursed_at, last))
            if claimed and lead_state in ("claimed", "contacted") and (self.now - claimed).days > 4:
                self.escalations.append((lead_id, "contact" if lead_state == "claimed" else "decision",
                                         (claimed + timedelta(days=4)).date(), claimed + timedelta(days=5)))
            user = self.firm_users.get(firm_id)
            if user and claimed and lead_state in ("declined", "disbursed", "released") and rng.random() < 0.6:
                score = 5 if lead_state == "disbursed" else rng.choice([2, 3, 3, 4])
                self.ratings.append((lead_id, firm_id, bank_id, manager, score, score, "", user,
                                     min((decided or claimed) + timedelta(days=2), self.now), lead_state))
            lead_id += 1
        if outcome == "withdrawn":
            state = "withdrawn"
            hist.append(("request", req_id, req_id, actor, "township", min(last + timedelta(hours=3), self.now),
                         "offered", "withdrawn", "企业撤回"))
        elif state == "routed" and all(row[4] in ("declined", "expired") for row in self.leads[-len(banks):]):
            state = "unmatched"
            hist.append(("request", req_id, req_id, None, "system", last, "routed", "unmatched", "各银行均未能办理"))
        interests = json.dumps(rng.sample(self.kinds, rng.randint(0, min(2, len(self.kinds)))))
        self.requests.append((req_id, firm_id, actor, amount, term, purpose,
                              rng.choice(["none", "property", "equipment", "guarantee", "receivables", "patent"]),
                              interests, "", "续贷" in purpose, state, created, submitted, last))
        return lead_id, offer_id

    def _chained_history(self, session: Session) -> list[tuple]:
        """The history rows with their ids and hash chain (audit_chain.row_hash, computed by `history_hash`)."""
        if self.chain is None:
            self.chain = audit_chain.ChainWriter(session.connection(), History.__table__)
            self.history_id = _next_id(session, "history")
        chain, hid, rows = self.chain, self.history_id, []
        seq, prev = chain.seq, chain.prev
        for values in self.history:
            seq += 1
            row = (hid, *values)
            digest = history_hash(seq, prev, row)
            rows.append((*row, seq, prev, digest))
            prev, hid = digest, hid + 1
        chain.seq, chain.prev, self.history_id = seq, prev, hid
        return rows

    def flush(self, session: Session, writer: _Writer) -> None:
        """Hand what the last requests left behind to the writer (memory stays flat whatever the size)."""
        writer.wait()  # the connection is free again: the chain's head may be read
        history = self._chained_history(session)
        writer.submit([("financing_request", REQUEST_COLUMNS, self.requests), ("lead", LEAD_COLUMNS, self.leads),
                       ("offer", OFFER_COLUMNS, self.offers), ("history", CHAINED_HISTORY_COLUMNS, history),
                       ("notification", NOTICE_COLUMNS, self.notices), ("rating", RATING_COLUMNS, self.ratings),
                       ("lead_escalation", ESCALATION_COLUMNS, self.escalations)])
        self.requests, self.leads, self.offers, self.history = [], [], [], []
        self.notices, self.ratings, self.escalations = [], [], []


class _Writer:
    """Writes the story's batches, on PostgreSQL from a thread of its own: the server stores one batch while
    Python draws the next (COPY waits on the socket with the GIL released), so both cores work. Nothing else uses
    the connection until `wait()`."""

    def __init__(self, session: Session, progress: Progress, counts: dict[str, int]):
        self.conn, self.progress, self.counts = session.connection(), progress, counts
        self.threaded = self.conn.dialect.name == "postgresql"
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def submit(self, batches: list[tuple[str, list[str], list[tuple]]]) -> None:
        self.wait()
        if not self.threaded:
            return self._write(batches)
        self.thread = threading.Thread(target=self._write, args=(batches,), name="scale-copy", daemon=True)
        self.thread.start()

    def _write(self, batches) -> None:
        try:
            for table, columns, rows in batches:
                counted = self.progress if table == "financing_request" else Progress()
                self.counts[table] = self.counts.get(table, 0) + _bulk(self.conn, table, columns, rows, counted)
        except BaseException as error:  # raised again in the thread that waits
            self.error = error

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def build(session: Session, firms: int = 50_000, requests: int = 100_000, seed: int = 2021,
          progress: Progress | None = None, base: tuple[int, int] = (BASE_FIRMS, BASE_REQUESTS)) -> dict:
    """The ordinary demo on `base` (firms, requests), then the bulk up to `firms` and `requests` over five years.
    Returns the row count of each table written in bulk and the demo accounts."""
    progress = progress or Progress()
    rng = _Draws(seed)
    base_firms, base_requests = min(firms, base[0]), min(requests, base[1])
    accounts = demo.build(session, firms=base_firms, requests=base_requests, seed=seed, phases=progress)
    session.flush()
    now = utcnow()
    counts: dict[str, int] = {}

    if session.get_bind().dialect.name == "postgresql":
        # the app's statement timeout guards pages; a load's COPY, index build or VACUUM may take minutes
        session.execute(text("SET LOCAL statement_timeout = 0"))
    dropped = _drop_indexes(session)
    _skip_key_checks(session)
    more_firms = max(0, firms - session.scalar(select(func.count()).select_from(Firm)))
    progress.phase("企业", more_firms)
    new_firms, rows = _firm_rows(session, more_firms, rng, _next_id(session, "firm"), now, progress)
    counts["firm"] = _bulk(session, "firm", FIRM_COLUMNS, rows, progress)
    all_firms = [(f, t, n) for f, t, n in session.execute(select(Firm.id, Firm.township_id, Firm.name))]

    # Enterprise accounts for a fifth of the new firms (they rate the banks); the demo password for all.
    template = session.scalar(select(User.password_hash).where(User.username == "firm"))
    story = _Story(session, rng, now, all_firms)
    user_id = _next_id(session, "user_account")
    chosen = [f for f in new_firms if rng.random() < 0.2]
    progress.phase("企业账户", len(chosen))
    for offset, (firm_id, _, _) in enumerate(chosen):
        story.firm_users[firm_id] = user_id + offset
    counts["user_account"] = _bulk(session, "user_account",
                                   ["id", "username", "password_hash", "role", "display_name", "phone", "firm_id",
                                    "active", "created_at"],
                                   ((user_id + i, f"firm{f}", template, "enterprise", name[:20], "", f, True, now)
                                    for i, (f, _, name) in enumerate(chosen)), progress)

    total = max(0, requests - session.scalar(select(func.count()).select_from(FinancingRequest)))
    progress.phase("需求、线索、方案、历史、通知", total)
    req_id, lead_id, offer_id = (_next_id(session, t) for t in ("financing_request", "lead", "offer"))
    writer = _Writer(session, progress, counts)
    try:
        for i in range(total):
            lead_id, offer_id = story.request(req_id + i, lead_id, offer_id)
            if (i + 1) % 2000 == 0:
                story.flush(session, writer)
        story.flush(session, writer)
    finally:
        writer.wait()
    counts["whitelist_entry"] = _big_whitelist(session, rng, now, progress)
    _rebuild_indexes(session, dropped, progress)
    _fix_sequences(session, ["firm", "user_account", "financing_request", "lead", "offer", "history"])
    session.flush()
    return {"counts": counts, "accounts": accounts}


BULK_TABLES = ("history", "notification", "lead", "financing_request", "offer", "firm", "rating", "whitelist_entry",
               "lead_escalation")  # largest first
INDEX_MEMORY = "512MB"


def _drop_indexes(session: Session) -> list:
    """On PostgreSQL, the secondary indexes of the bulk tables are dropped for the load and built again after it:
    one sort per index instead of a tree insert per row. Returns the dropped indexes (SQLAlchemy Index objects)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    from ..models import Base

    dropped = []
    for name in BULK_TABLES:
        for index in Base.metadata.tables[name].indexes:
            session.execute(text(f'DROP INDEX IF EXISTS "{index.name}"'))
            dropped.append(index)
    return dropped


def _rebuild_indexes(session: Session, dropped: list, progress: Progress) -> None:
    """Build the dropped indexes again, each sorted in memory (the server's default 64 MB spills the large ones'
    sorts to disk), largest table first."""
    progress.phase("重建索引", len(dropped))
    if dropped:
        session.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'"))
    for index in dropped:
        index.create(session.connection())
        progress.advance(1)


def _skip_key_checks(session: Session) -> None:
    """On PostgreSQL, the foreign-key triggers are skipped until the end of the load's transaction (the rows are
    written consistent: every id they name was written before them): each check is a lookup and a row lock on the
    row it names — five million of them for 100,000 requests. Needs a superuser; without one, the checks run."""
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:  # not a superuser: keep the checks
        pass


def _big_whitelist(session: Session, rng: random.Random, now: datetime, progress: Progress) -> int:
    """规上企业 of the latest year as one large batch (about two fifths of the firms): the export's big case."""
    district = session.scalar(select(User.id).where(User.role == "district"))
    firms = session.execute(select(Firm.id, Firm.name, Firm.township_id).order_by(Firm.id)).all()
    members = [f for f in firms if rng.random() < 0.4]
    progress.phase("白名单", len(members))
    batch_id = _next_id(session, "whitelist_batch")
    label = str(now.year - 1)
    session.execute(text("INSERT INTO whitelist_batch (id, kind, label, state, source_filename, row_count, "
                         "created_firm_ids, created_by_id, created_at) VALUES (:id, 'above_scale', :label, 'active', "
                         ":fn, :n, :ids, :by, :at)"),
                    {"id": batch_id, "label": label, "fn": f"{WHITELIST_KINDS['above_scale']}{label}.xlsx",
                     "n": len(members), "ids": "[]", "by": district, "at": now})
    n = _bulk(session, "whitelist_entry",
              ["batch_id", "kind", "firm_id", "row_no", "written_name", "project_name", "investment_wan",
               "township_id", "remark", "extra", "match_method", "match_score"],
              ((batch_id, "above_scale", f, row, name, "", None, t, "", "{}", "uscc", Decimal("100.0"))
               for row, (f, name, t) in enumerate(members, start=2)), progress)
    _fix_sequences(session, ["whitelist_batch"])
    return n


def analyse(session: Session, progress: Progress | None = None) -> None:
    """Commit, then fresh planner statistics and visibility maps after a bulk load (PostgreSQL: VACUUM ANALYZE
    table by table, one step of the phase's bar each)."""
    from ..models import Base

    progress = progress or Progress()
    session.commit()
    tables = sorted(Base.metadata.tables)
    progress.phase("统计信息", len(tables))
    if session.get_bind().dialect.name == "postgresql":
        with session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SET statement_timeout = 0"))
            try:
                for table in tables:
                    conn.execute(text(f'VACUUM ANALYZE "{table}"'))
                    progress.advance(1)
            finally:
                conn.execute(text("RESET statement_timeout"))  # the pooled connection keeps the app's timeout
    else:
        session.execute(text("ANALYZE"))
        session.commit()
        progress.advance(len(tables))


def terminal_progress() -> Progress:
    """A bar per phase on a terminal; otherwise (a log, a pipe, CI) one plain line as each phase ends."""
    import sys

    return click_progress() if sys.stdout.isatty() else line_progress()


def line_progress() -> Progress:
    """A Progress that prints one line per finished phase: its label, its count and its seconds."""
    import time

    import click

    class _Lines(Progress):
        label = None

        def phase(self, label: str, total: int) -> None:
            self.close()
            self.label, self.total, self.done, self.started = label, total, 0, time.monotonic()

        def advance(self, n: int = 1) -> None:
            self.done += n

        def close(self) -> None:
            if self.label is not None:
                click.echo(f"{self.label}：{self.done}/{self.total}，{time.monotonic() - self.started:.1f} 秒")
                self.label = None

    return _Lines()


def click_progress() -> Progress:
    """A Progress that shows one click progress bar per phase."""
    import click

    class _Bars(Progress):
        bar = None

        def phase(self, label: str, total: int) -> None:
            self.close()
            self.bar = click.progressbar(length=max(total, 1), label=f"{label:<16}", show_pos=True)
            self.bar.__enter__()

        def advance(self, n: int = 1) -> None:
            if self.bar is not None:
                self.bar.update(n)

        def close(self) -> None:
            if self.bar is not None:
                self.bar.__exit__(None, None, None)
                self.bar = None

    return _Bars()
