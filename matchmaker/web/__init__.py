"""Web layer: extensions, blueprints, template helpers and error pages."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from ..extensions import csrf, limiter, login_manager
from ..text import N_
from . import filters, i18n, phrases


def register_web(app: Flask) -> None:
    _register_extensions(app)
    _register_blueprints(app)
    _register_errors(app)
    filters.register(app)


def _register_extensions(app: Flask) -> None:
    i18n.init_app(app)  # also makes WTForms' own messages follow the request's language
    phrases.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录")  # flashed through localize_callback, in the reader's language
    login_manager.localize_callback = gettext
    login_manager.login_message_category = "warning"
    from . import security
    from .accounts import sessions

    sessions.register(app)
    security.register(app)


def _register_blueprints(app: Flask) -> None:
    from . import health, main
    from .accounts import account, auth
    from .banks import bulletins, listing, monthly, targets
    from .core import workdays
    from .events import day
    from .events import pages as events
    from .events import reports as event_reports
    from .firms import enterprise
    from .firms import pages as firm_pages
    from .jobs import pages as jobs
    from .ledgers import pages as ledgers
    from .notify import pages as notifications
    from .outcomes import first_loans, ratings, referrals
    from .portrait import pages as portrait
    from .requests import bank, declines, district, overdue, products, township, weights
    from .requests import pages as requests
    from .whitelists import pages as whitelists

    for module in (main, health, auth, account, enterprise, requests, bank, township, district,
                   products, weights, workdays, overdue, events, day, event_reports, whitelists,
                   monthly, targets, bulletins, listing, notifications, ratings, declines, referrals, first_loans,
                   firm_pages, jobs, portrait, ledgers):
        app.register_blueprint(module.bp)
    from . import api
    from .accounts import tokens as api_tokens

    api.register(app)
    app.register_blueprint(api_tokens.bp)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_errors(app: Flask) -> None:
    def render_error(status: int, title: str, message: str):
        if request.path.startswith("/api/v1/"):
            from .api.core import error_response

            return error_response(status, gettext("请求过于频繁，请稍后再试") if status == 429 else message)
        if _wants_json():
            return jsonify({"error": title, "message": message}), status
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render_error(400, gettext("表单已过期"), gettext("页面停留时间过长或表单来源不明，请刷新页面后重新提交。"))

    messages = {
        400: (_l("请求有误"), _l("提交的内容无法处理，请检查后重试。")),
        403: (_l("无权访问"), _l("您没有权限查看此页面。")),
        404: (_l("页面不存在"), _l("您访问的页面或记录不存在。")),
        405: (_l("操作不允许"), _l("该页面不支持此操作。")),
        413: (_l("文件过大"), _l("上传的文件超过大小限制。")),
        429: (_l("尝试次数过多"), _l("操作过于频繁，请稍后再试。")),
    }

    def handler(status: int):
        title, default = messages[status]

        def handle(e):
            # abort(403, "…") from a view carries a reason, a msgid (marked N_, or already translated with
            # gettext / i18n.error_text: translating it again changes nothing); Werkzeug's own default text does not
            described = getattr(e, "description", None)
            specific = described if described and described != getattr(type(e), "description", None) else None
            return render_error(status, str(title), gettext(str(specific)) if specific else str(default))

        return handle

    for status in messages:
        app.register_error_handler(status, handler(status))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(e):
        # a number typed or put in a URL that the database cannot hold: the request was bad, not the server
        from ..db import get_session

        get_session().rollback()
        return render_error(400, gettext("请求有误"), gettext("输入的数值超出范围，请检查后重试。"))

    @app.errorhandler(OperationalError)
    @app.errorhandler(IntegrityError)
    def _lost_race(e):
        # the guarded paths refuse the loser of a race themselves; this is the net for what is left (a deadlock
        # the database broke, two inserts of one row at the same moment)
        from ..db import get_session, is_lost_race, unavailable_response

        if not is_lost_race(e):
            # not a race: a database that does not answer (timeouts) is a 503, anything else a real error
            if isinstance(e, OperationalError):
                return unavailable_response(e)
            raise e
        get_session().rollback()
        return render_error(409, gettext("操作冲突"), gettext("该记录刚被他人修改，您的操作未保存，请刷新页面后重试。"))

    @app.errorhandler(500)
    def _server(e):  # pragma: no cover - last resort
        return render_error(500, gettext("系统错误"), gettext("系统暂时无法处理，请稍后重试；您填写的内容未丢失，请返回上一页。"))


def compile_templates(app: Flask) -> int:
    """Compile every page template now (gunicorn starts this in each worker as it starts serving): otherwise
    each worker's first view of each page compiles its templates (0.1–0.2 s of CPU a page, 2 s for all), which
    shows as a slow page after every worker (re)start. Returns how many were compiled."""
    names = [name for name in app.jinja_env.list_templates() if name.endswith(".html")]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
