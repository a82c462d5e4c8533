"""统一社会信用代码 (GB 32100-2015): normalise and check the 18-character code and its mod-31 check digit.

python-stdnum's `cn.uscc.validate` refuses codes whose first eight characters are not all digits, which
rejects real codes such as the N-prefixed ones of rural collective economic organisations, so the check is
written out here (it is short) for every registration-authority prefix.
"""
from __future__ import annotations

import numpy as np

from ...text import N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"}
_VALUE = {ch: n for n, ch in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)
_BYTE_VALUES = bytes(_VALUE.get(chr(b), 0) for b in range(256))  # bytes.translate table: character -> value
_WEIGHT_ARRAY = np.array(WEIGHTS, dtype=np.int64)
_ALLOWED_BYTE = np.zeros(256, dtype=bool)
_ALLOWED_BYTE[np.frombuffer(ALPHABET.encode(), dtype=np.uint8)] = True


class InvalidUSCC(ValueError):
    """The code is malformed; the message says why: `str()` in Chinese, `msgid` and `params` for the reader's
    language (`DomainError(exc.msgid, field="uscc", **exc.params)`)."""

    def __init__(self, msgid: str, **params):
        self.msgid, self.params = msgid, params
        super().__init__(msgid % params if params else msgid)


def normalise(code: str) -> str:
    """Upper-case, half-width, without spaces or dashes."""
    code = code or ""
    code = code.upper() if code.isascii() else code.translate(_FULLWIDTH).upper()  # no full-width in ASCII
    if code.isascii() and code.isalnum():  # the common case: nothing to take out
        return code
    return "".join(ch for ch in code if ch not in " -\u3000\t")


def check_digit(first17: str) -> str:
    """The 18th character for the first 17."""
    body = first17[:17]
    if body.isascii() and _ALLOWED.issuperset(body):  # the common case: the values through a byte table
        total = sum(map(int.__mul__, body.encode().translate(_BYTE_VALUES), WEIGHTS))
    else:
        total = sum(map(int.__mul__, map(_VALUE.__getitem__, body), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code or raise InvalidUSCC with a readable reason."""
    code = normalise(code)
    if not code:
        raise InvalidUSCC(N_("请填写统一社会信用代码"))
    if len(code) != 18:
        raise InvalidUSCC(N_("统一社会信用代码应为18位，当前为%(n)s位"), n=len(code))
    if not _ALLOWED.issuperset(code):
        bad = [ch for ch in code if ch not in ALPHABET]
        raise InvalidUSCC(N_("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）"),
                          chars="".join(dict.fromkeys(bad)))
    if not code[2:8].isdigit():
        raise InvalidUSCC(N_("统一社会信用代码第3–8位应为行政区划码（数字）"))
    if check_digit(code[:17]) != code[17]:
        raise InvalidUSCC(N_("统一社会信用代码校验位不正确，请核对后重新输入"))
    return code


def make(first17: str) -> str:
    """Complete a 17-character body with its check digit (used by seed data and tests)."""
    return first17 + check_digit(first17)


def valid_as_written(codes: list[str]) -> list[bool]:
    """For each code, whether `validate` returns it as it is (written in normal form and valid), for a column of
    codes at once; the others (empty, to be normalised or refused) go through `validate` one by one."""
    out = [False] * len(codes)
    plain = [n for n, code in enumerate(codes) if len(code) == 18 and code.isascii()]
    if not plain:
        return out
    joined = "".join([codes[n] for n in plain])
    raw = np.frombuffer(joined.encode(), dtype=np.uint8).reshape(-1, 18)
    values = np.frombuffer(joined.encode().translate(_BYTE_VALUES), dtype=np.uint8).reshape(-1, 18)
    region = raw[:, 2:8]
    ok = _ALLOWED_BYTE[raw].all(axis=1) & ((region >= ord("0")) & (region <= ord("9"))).all(axis=1)
    ok &= (31 - (values[:, :17].astype(np.int64) @ _WEIGHT_ARRAY) % 31) % 31 == values[:, 17]
    for n, good in zip(plain, ok.tolist()):
        out[n] = good
    return out
