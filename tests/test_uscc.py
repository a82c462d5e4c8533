"""USCC (GB 32100-2015) checks, including N-prefixed codes python-stdnum refuses."""
import pytest
from stdnum.cn import uscc as stdnum_uscc

from matchmaker.domain.firms import uscc


def test_valid_enterprise_code_agrees_with_stdnum():
    code = uscc.make("91370402MA3C12345")
    assert uscc.validate(code) == code
    assert stdnum_uscc.is_valid(code)
    assert uscc.check_digit(code[:17]) == stdnum_uscc.calc_check_digit(code[:17])


def test_rural_collective_code_with_letter_prefix_is_valid():
    code = uscc.make("N2370402MA0000001")
    assert uscc.validate(code) == code
    assert not stdnum_uscc.is_valid(code)  # the library limitation we work around


def test_normalises_fullwidth_lowercase_and_spaces():
    code = uscc.make("91370402MA3C12345")
    messy = " " + code[:6].lower() + " " + code[6:].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert uscc.validate(messy) == code


@pytest.mark.parametrize("bad, reason", [
    ("", "请填写"),
    ("91370402MA3C1234", "18位"),
    ("91370402MA3C12345I", "不允许的字符"),
    ("91ABCDEFMA3C12345M", "行政区划码"),
])
def test_malformed_codes_say_why(bad, reason):
    with pytest.raises(uscc.InvalidUSCC, match=reason):
        uscc.validate(bad)


def test_wrong_check_digit_is_refused():
    code = uscc.make("91370402MA3C12345")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(uscc.InvalidUSCC, match="校验位"):
        uscc.validate(wrong)


def test_a_column_of_codes_is_checked_as_validate_checks_each():
    """valid_as_written: True exactly where validate returns the code as written; the rest go one by one."""
    good = uscc.make("91370402MA3C12345")
    rural = uscc.make("N2370402MA0000001")
    codes = [good, rural, good.lower(), good[:17] + ("0" if good[17] != "0" else "1"), good[:-1], "",
             good[:5] + "O" + good[6:], good[:3] + "A" + good[4:], "９" + good[1:], good[:9] + " " + good[10:]]

    def as_written(code):
        try:
            return uscc.validate(code) == code
        except uscc.InvalidUSCC:
            return False

    assert uscc.valid_as_written(codes) == [as_written(c) for c in codes] == [True, True] + [False] * 8
    assert uscc.valid_as_written([]) == []
