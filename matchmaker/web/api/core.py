"""The frame of /api/v1/: the blueprint (no cookies, no CSRF), bearer-token authentication with scopes,
per-token rate limits, one JSON error shape, and running a change with its Idempotency-Key.

An error's `code` is for programs and never changes; its `message` is for people, in the language the call's
Accept-Language asks for (English for en, Chinese for zh and for anything else or nothing). A call's language is
its own: not the cookie of a browser, nor the token's account (which never signs in, so has no preference), so a
bank system gets the same language on every call whoever made its token."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from decimal import Decimal
from functools import wraps

from flask import Blueprint, Response, current_app, g, render_template, request
from spectree import Response as Responses
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from sqlalchemy.exc import IntegrityError

from ...domain.accounts.preferences import DEFAULT_LOCALE
from ...domain.api import idempotency, sync, tokens
from ...domain.core import translate
from ...domain.core.errors import DomainError
from ...extensions import csrf, limiter
from ...models import User, utcnow
from ...text import N_
from ..common import session
from .schemas import Error

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "not_allowed",
               409: "conflict", 413: "too_large", 422: "validation", 429: "rate_limited", 500: "server_error"}
ERRORS = {f"HTTP_{status}": Error for status in (400, 401, 403, 404, 422, 429)}


def responses(ok: type | None = None, status: int = 200, *, conflict: bool = False) -> Responses:
    """The documented answers of an operation: its success body and the error shape for each refusal."""
    codes = dict(ERRORS)
    if conflict:
        codes["HTTP_409"] = Error
    if ok is not None:
        codes[f"HTTP_{status}"] = ok
    return Responses(**codes)


# Accept-Language tags -> our locales; "*" and any zh-* read Chinese, the default
_ACCEPT = {"zh": DEFAULT_LOCALE, "en": "en"}


def api_locale() -> str:
    """The language of this call's messages: the best of Accept-Language among ours, else Chinese."""
    return _ACCEPT.get(request.accept_languages.best_match(list(_ACCEPT)), DEFAULT_LOCALE)


def api_text(message: str, params: dict | None = None) -> str:
    """`message` (a Chinese msgid) in the call's language, its named values filled in. Text that is no msgid
    (an English message from a browser's cookie, pydantic's own) comes back as it is."""
    return translate.text(api_locale(), message, **(params or {}))


def error_body(status: int, message: str, field: str | None = None, details: dict | None = None,
               params: dict | None = None) -> dict:
    """The error shape: `message` is a Chinese msgid, given in the call's language."""
    return {"error": {"code": ERROR_CODES.get(status, "error"), "message": api_text(message, params),
                      "field": field, "details": details}}


def in_language(response: Response) -> Response:
    """An error answer says which language its message is in, and that Accept-Language chose it."""
    response.headers["Content-Language"] = "en" if api_locale() == "en" else "zh-CN"
    response.vary.add("Accept-Language")
    return response


def _error_json(status: int, body: dict) -> Response:
    return in_language(Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/json"))


def error_response(status: int, message: str, field: str | None = None, details: dict | None = None,
                   params: dict | None = None) -> Response:
    return _error_json(status, error_body(status, message, field, details, params))


def domain_status(exc: DomainError) -> int:
    """Conflict → 409, Forbidden → 403, NotFound → 404; any other refusal is a field's fault → 422."""
    return exc.status if exc.status in (403, 404, 409) else 422


def _plain(value):
    """A refusal's details as JSON: messages kept as msgid + values (banks.wording) become their text."""
    from ...domain.banks import wording
    from ...domain.core.translate import translator

    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, DomainError | wording.Message | wording.Label):
        return wording.render(value, translator(None))
    return value


def domain_error(exc: DomainError) -> tuple[int, dict]:
    details = None
    if getattr(exc, "errors", None):
        details = {"errors": _plain(exc.errors)}
    elif getattr(exc, "warnings", None):
        details = {"warnings": _plain(exc.warnings)}
    status = domain_status(exc)
    return status, error_body(status, exc.msgid, exc.field, details, exc.params)


@bp.errorhandler(DomainError)
def _domain(exc: DomainError):
    session().rollback()
    status, body = domain_error(exc)
    return _error_json(status, body)


# endpoints whose body has required fields; the others accept an empty body as all defaults
BODY_REQUIRED = {"api.approve", "api.decline", "api.disburse", "api.submit_monthly"}


@bp.before_request
def _json_bodies_only():
    """A POST's body is a JSON object, or empty where every field has a default: 400 / 422 otherwise."""
    if request.method != "POST":
        return None
    if not request.get_data():
        if request.endpoint in BODY_REQUIRED:
            return error_response(422, N_("请求体不能为空，请以 JSON 提交"))
        return None
    if not request.is_json or not isinstance(request.get_json(silent=True), dict):
        return error_response(400, N_("请求体应为 JSON 对象（Content-Type: application/json）"))
    return None


def rate_key() -> str:
    """Per token: the hash of the bearer value (the stored hash for a real token); the address otherwise."""
    raw = bearer()
    return "api-token:" + hashlib.sha256(raw.encode()).hexdigest() if raw else "api-ip:" + (request.remote_addr or "")


def _rate_limit() -> str:
    return (current_app.config.get("API_RATE_LIMIT") or os.environ.get("MATCHMAKER_API_RATE_LIMIT")
            or "120 per minute;5000 per hour")


limiter.limit(_rate_limit, key_func=rate_key)(bp)


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_required(scope: str):
    """The call needs a usable token with `scope`: 401 without one (unknown, expired or revoked), 403 without
    the scope. The token's account is `g.api_actor`, the actor every domain function gets."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            db = session()
            token = tokens.authenticate(db, bearer())
            if token is None:
                db.rollback()
                response = error_response(401, N_("缺少有效的接口令牌（令牌无效、已过期或已撤销）"))
                response.headers["WWW-Authenticate"] = 'Bearer realm="matchmaker"'
                return response
            db.commit()  # the last-used time is kept whatever the call's outcome
            if not tokens.has_scope(token, scope):
                return error_response(403, N_("该令牌没有“%(scope)s”权限"), "scope", params={"scope": scope})
            g.api_token = token
            g.api_actor = db.get(User, token.user_id)
            return view(*args, **kwargs)

        wrapped.required_scope = scope
        return wrapped

    return decorator


def actor() -> User:
    return g.api_actor


def run_change(action) -> Response:
    """Run a POST's `action(db)` → (status, body dict): commit it, or roll back and answer the refusal. With an
    Idempotency-Key the answer is kept in the same transaction and a retry gets it back, changing nothing."""
    db = session()
    raw_key = request.headers.get("Idempotency-Key")
    key = print_ = None
    token_id = g.api_token.id
    if raw_key is not None:
        try:
            key = idempotency.check_key(raw_key)
            print_ = idempotency.fingerprint(request.method, request.path, request.get_data())
            kept = idempotency.stored(db, token_id, key, print_)
        except DomainError as exc:
            db.rollback()
            status, body = domain_error(exc)
            return _json(status, body)
        if kept is not None:
            return _json(kept.status, json.loads(kept.body), replayed=True)
    try:
        status, body = action(db)
        if key:
            idempotency.keep(db, token_id, key, print_, status, to_json(body))
        db.commit()
    except DomainError as exc:
        db.rollback()
        status, body = domain_error(exc)
        if key:
            _keep_refusal(db, token_id, key, print_, status, body)
        return _json(status, body)
    except IntegrityError:
        db.rollback()
        kept = idempotency.stored(db, token_id, key, print_) if key else None
        if kept is None:
            raise
        return _json(kept.status, json.loads(kept.body), replayed=True)  # a twin with the key committed first
    return _json(status, body)


def _keep_refusal(db, token_id, key, print_, status, body) -> None:
    try:
        idempotency.keep(db, token_id, key, print_, status, json.dumps(body, ensure_ascii=False))
        db.commit()
    except IntegrityError:
        db.rollback()


def to_json(value) -> str:
    """JSON with times as ISO 8601 in UTC (our naive datetimes are UTC: marked with Z), dates as YYYY-MM-DD."""
    def default(obj):
        if isinstance(obj, datetime):
            return obj.isoformat() + ("Z" if obj.tzinfo is None else "")
        if isinstance(obj, date):
            return obj.isoformat()
        if isinstance(obj, Decimal):
            return str(obj)
        raise TypeError(f"not JSON: {type(obj).__name__}")

    return json.dumps(value, ensure_ascii=False, default=default)


def settle_seconds() -> float:
    """How long a change waits before sync pages hand it out (MATCHMAKER_API_SYNC_SETTLE_SECONDS, default 5)."""
    value = current_app.config.get("API_SYNC_SETTLE_SECONDS")
    if value is None:
        value = os.environ.get("MATCHMAKER_API_SYNC_SETTLE_SECONDS") or sync.DEFAULT_SETTLE_SECONDS
    return float(value)


def sync_page(stmt, model, query, serialize_row) -> Response:
    """One page of an incremental-sync list: rows after the query's cursor (or `updated_since`) and before the
    settle horizon, with the cursor to send next."""
    db = session()
    stmt = sync.page(stmt, model, updated_since=query.updated_since, cursor=query.cursor, limit=query.limit,
                     settled_before=sync.horizon(db, utcnow(), settle_seconds()))
    rows = list(db.scalars(stmt).unique())
    has_more = len(rows) > query.limit
    rows = rows[:query.limit]
    cursor = sync.encode_cursor(rows[-1].updated_at, rows[-1].id) if rows else query.cursor
    return ok({"items": [serialize_row(row) for row in rows], "next_cursor": cursor, "has_more": has_more})


def ok(body: dict, status: int = 200) -> Response:
    return Response(to_json(body), status, mimetype="application/json")


def _json(status: int, body: dict, replayed: bool = False) -> Response:
    response = Response(to_json(body), status, mimetype="application/json")
    if status >= 400 and not replayed:  # a replay is the first answer, in the first call's language
        in_language(response)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


MESSAGES = {  # pydantic's error types (Chinese msgids; given in the call's language)
    "missing": N_("必填"), "extra_forbidden": N_("不是允许的字段"), "literal_error": N_("不是允许的取值"),
    "int_parsing": N_("应为整数"), "int_type": N_("应为整数"), "int_from_float": N_("应为整数"),
    "string_type": N_("应为文本"), "bool_parsing": N_("应为 true 或 false"), "bool_type": N_("应为 true 或 false"),
    "datetime_parsing": N_("应为 ISO 8601 日期时间"), "datetime_from_date_parsing": N_("应为 ISO 8601 日期时间"),
    "date_parsing": N_("应为 YYYY-MM-DD 日期"), "date_from_datetime_parsing": N_("应为 YYYY-MM-DD 日期"),
    "string_pattern_mismatch": N_("含有不允许的控制字符"), "dict_type": N_("应为 JSON 对象"),
}


def _message(error: dict) -> str:
    """What is wrong with one field, in the call's language (pydantic's own English for a kind we do not name)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "string_too_long":
        return api_text(N_("不能超过%(n)s个字符"), {"n": ctx.get("max_length")})
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return api_text(N_("超出允许范围（%(limits)s）"), {"limits": ", ".join(f"{k} {v}" for k, v in ctx.items())})
    return api_text(MESSAGES[kind]) if kind in MESSAGES else error.get("msg") or api_text(N_("无效"))


def validation_hook(req, resp, req_validation_error, instance, *_):
    """spectree's refusal of a bad request, in our error shape with the field named."""
    if req_validation_error is None or resp is None:
        return
    errors = req_validation_error.errors()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query")) or None
    if field:
        message, params = N_("字段“%(field)s”%(problem)s"), {"field": field, "problem": _message(first)}
    else:
        message, params = N_("请求内容无效"), None
    resp.set_data(json.dumps(error_body(422, message, field, {"errors": [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": _message(e)} for e in errors]}, params),
        ensure_ascii=False))
    resp.mimetype = "application/json"
    resp.status_code = 422
    in_language(resp)


spec = SpecTree(
    "flask", mode="strict", title="市中区银企融资对接平台 API",
    version="1.0.0", annotations=True, before=validation_hook, validation_error_model=Error,
    naming_strategy=lambda model: model.__name__,
    description="银行系统与区金融办数据交换接口。所有调用使用 `Authorization: Bearer <令牌>`；"
                "错误统一为 {\"error\": {\"code\", \"message\", \"field\"}}：程序按 code 判断，message 供人阅读，"
                "其语言按请求头 Accept-Language（en 为英文，其余为中文）。\n\n"
                "Data exchange for banks' systems and the district. Every call sends `Authorization: Bearer <token>`; "
                "errors are {\"error\": {\"code\", \"message\", \"field\"}}: programs read `code`; `message` is for "
                "people, in English with `Accept-Language: en`, else in Chinese.",
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type=SecureType.HTTP, scheme="bearer", bearer_format="mmk_…"))],
    security={"bearer": []},
)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document, generated by spectree from the typed bodies of the routes above (no token)."""
    return current_app.json.response(spec.spec)


@bp.get("/docs")
def docs():
    """A readable page of the document (Redoc, vendored from npm under static/vendor/redoc; no CDN)."""
    return render_template("api/docs.html")
