"""Typed request and response bodies of /api/v1/ (pydantic); spectree turns them into the OpenAPI document and
checks requests and responses against them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...domain.api.sync import MAX_LIMIT
from ...models.requests import DECLINE_REASONS, LEAD_STATES, REQUEST_STATES

NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # text fields: line breaks and tabs, no other control bytes


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str = Field(description="机器可读的错误代码，如 conflict、validation、forbidden")
    message: str = Field(description="供人阅读的说明：请求头 Accept-Language 为 en 时为英文，否则为中文"
                                     "（for people: English with Accept-Language: en, else Chinese）")
    field: str | None = Field(None, description="出错的字段（如有）")
    details: dict[str, Any] | None = None


class Error(BaseModel):
    error: ErrorBody


class Firm(BaseModel):
    id: int
    name: str
    uscc: str | None
    township: str | None
    industry: str
    size: str
    has_bank_loan: bool
    contact_person: str | None = Field(description="认领后可见；未认领时为 null")
    contact_phone: str | None = Field(description="认领后可见；未认领时为 null")


class RequestSummary(BaseModel):
    id: int
    state: str
    amount_yuan: int
    term_months: int
    purpose: str
    collateral: str
    renewal: bool
    submitted_at: datetime | None


class OfferOut(BaseModel):
    id: int
    amount_yuan: int
    rate_pct: str
    term_months: int
    conditions: str
    state: str


class LeadOut(BaseModel):
    id: int
    state: Literal[tuple(LEAD_STATES)]  # type: ignore[valid-type]
    state_label: str
    bank_id: int
    bank_name: str
    product: str | None
    rank: int
    manager_id: int | None
    created_at: datetime
    updated_at: datetime
    claim_deadline: date | None
    claimed_at: datetime | None
    contacted_at: datetime | None
    decided_at: datetime | None
    decline_code: str | None
    decline_note: str
    disbursed_amount_yuan: int | None
    disbursed_on: date | None
    request: RequestSummary
    firm: Firm
    offer: OfferOut | None


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None = Field(description="下一页的游标；为 null 时已取完，保存最后一条的游标用于下次增量同步")
    has_more: bool


class SyncQuery(Strict):
    updated_since: datetime | None = Field(None, description="只返回此时间（UTC）之后有变化的记录")
    cursor: str | None = Field(None, max_length=200, description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class LeadQuery(SyncQuery):
    state: Literal[tuple(LEAD_STATES)] | None = None  # type: ignore[valid-type]


class NoteBody(Strict):
    note: str = Field("", max_length=500, pattern=NO_CONTROL)


class ApproveBody(Strict):
    amount_yuan: int = Field(gt=0, le=10**12, description="授信金额（元）")
    rate_pct: str = Field(max_length=10, description="年利率（%），如 \"3.85\"")
    term_months: int = Field(ge=1, le=360)
    conditions: str = Field("", max_length=2000, pattern=NO_CONTROL)
    confirm_over: bool = Field(False, description="授信金额高于企业申请金额时须为 true（确认并非误填）")


class ApproveOut(BaseModel):
    lead: LeadOut
    offer: OfferOut


class DeclineBody(Strict):
    code: Literal[tuple(DECLINE_REASONS)]  # type: ignore[valid-type]
    note: str = Field("", max_length=500, pattern=NO_CONTROL)


class DisburseBody(Strict):
    amount_yuan: int = Field(gt=0, le=10**12, description="放款金额（元）")
    disbursed_on: date


class MonthlyReportBody(Strict):
    month: str = Field(max_length=10, description="月份，YYYY-MM")
    figures: dict[str, str | int | float] = Field(
        description="各项数据，单位同网页填报（余额为亿元或万元，户数为户），键为 deposits、loans 等")
    confirm: bool = Field(False, description="确认与上月相比的大幅变动")
    note: str = Field("", max_length=500, pattern=NO_CONTROL, description="更正已报送数据时必填")


class MonthlyReportOut(BaseModel):
    bank_id: int
    month: str
    version: int
    figures_yuan: dict[str, int | None]
    submitted_at: datetime


class RequestOut(BaseModel):
    id: int
    state: Literal[tuple(REQUEST_STATES)]  # type: ignore[valid-type]
    state_label: str
    firm_id: int
    firm_name: str
    township: str | None
    amount_yuan: int
    term_months: int
    purpose: str
    collateral: str
    renewal: bool
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    lead_ids: list[int]


class RequestQuery(SyncQuery):
    state: Literal[tuple(REQUEST_STATES)] | None = None  # type: ignore[valid-type]


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None
    has_more: bool


class MonthQuery(Strict):
    month: str = Field(max_length=10, description="月份，YYYY-MM")


class BankFigures(BaseModel):
    bank_id: int
    bank_name: str
    reported: bool
    version: int | None
    figures_yuan: dict[str, int | None] | None


class BankFiguresOut(BaseModel):
    month: str
    banks: list[BankFigures]


class WhitelistEntryOut(BaseModel):
    id: int
    kind: str
    batch: str
    firm_id: int
    firm_name: str
    uscc: str | None
    township: str | None
    project_name: str
    investment_wan: str | None


class WhitelistQuery(Strict):
    kind: str = Field(max_length=32)
    page: int = Field(1, ge=1, le=100000)
    limit: int = Field(100, ge=1, le=500)


class WhitelistPage(BaseModel):
    kind: str
    batch: str | None
    items: list[WhitelistEntryOut]
    total: int


class BulletinOut(BaseModel):
    kind: str
    period: str
    edition: int
    issued_at: datetime
    data: dict[str, Any] = Field(description="发布时冻结的通报数据")
