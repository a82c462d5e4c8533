"""The margin rule for typos: a single slip in a long name links when no other firm is near; whole words and
another 字号 stay apart; batch parsing equals one-by-one parsing; the labelled set meets the goals."""
import random

import pytest

from matchmaker.demo import names, resolution_cases
from matchmaker.domain.firms import entity_resolution as er


def _resolver(names_list):
    return er.Resolver((i, None, n) for i, n in enumerate(names_list))


@pytest.mark.parametrize("written, kind", [
    ("枣庄市鑫源新材料技有限公司", "dropped"),
    ("枣庄市鑫源新材料科科技有限公司", "doubled"),
    ("枣庄市鑫源新材料科拔有限公司", "other character in the trade"),
    ("山东鑫元新材料科技有限公司", "homophone"),
    ("枣庄鑫源新村料科技有限责任公司", "similar-looking"),
])
def test_a_single_slip_in_a_long_name_links_when_no_other_firm_is_near(written, kind):
    r = _resolver(["枣庄市鑫源新材料科技有限公司", "山东华泰机械制造有限公司", "枣庄恒达化工有限公司"])
    res = r.resolve(written)
    assert (res.decision, res.ref) == ("auto", 0), (kind, res)


def test_a_slip_near_two_firms_goes_to_review():
    r = _resolver(["枣庄市鑫源新材料科技有限公司", "枣庄市鑫元新材料科技有限公司"])  # twins by sound
    res = r.resolve("枣庄市鑫源新材料技有限公司")
    assert res.decision == "review" and {c.ref for c in res.candidates[:2]} == {0, 1}


@pytest.mark.parametrize("registered, written", [
    ("枣庄宏达化工有限公司", "枣庄宏达化工科技有限公司"),
    ("枣庄宏达化工科技有限公司", "枣庄宏达化工有限公司"),
    ("枣庄宏达化工有限公司", "枣庄宏达化学有限公司"),
    ("枣庄宏达材料科技有限公司", "枣庄宏达新材料科技有限公司"),
    ("枣庄宏达新材料科技有限公司", "枣庄宏达材料科技有限公司"),
    ("枣庄宏达机械制造有限公司", "枣庄宏达集团机械制造有限公司"),
    ("枣庄宏达新材料科技有限公司", "枣庄宏图新材料科技有限公司"),   # another 字号 character
    ("枣庄宏达新材料科技有限公司", "枣庄宏达泰新材料科技有限公司"),  # a longer 字号
])
def test_names_differing_by_a_word_or_by_the_brand_are_never_linked(registered, written):
    res = _resolver([registered]).resolve(written)
    assert res.decision != "auto", res
    assert res.decision == "new"
    if res.score >= er.DEFAULT_REVIEW_THRESHOLD:  # close enough to show: the note names the registered firm
        assert registered in res.note


def test_parse_many_equals_parse_one_by_one():
    rng = random.Random(4)
    sample = [n for n, _ in names.registry_names(3000, seed=4)]
    sample += [names.spelling_variant(rng, n)[0] for n in sample[:1000]]
    sample += ["", "()", "枣庄", "枣庄市", "有限公司", "枣庄有限公司", "（枣庄）鑫源化工有限公司", "a\nb有限公司", "x\u2028y公司",
               "--有限公司", "ﬁ厂", "枣庄市中区", "山东枣庄市市中区鑫源化工有限公司", "市中区市中区", "鑫源化工 ( 枣庄 ) 分公司",
               "ＡＢＣ化工有限公司", "鑫源\u3000化工", "𠀀化工有限公司"]
    cores, forms, sounds, shapes = er.parse_many(sample)
    for name, core, form, sound, shape in zip(sample, cores, forms, sounds, shapes):
        assert er.parse(name) == er.NameParts(core, form, sound, shape), name
    assert er.parse_many([]) == ([], [], [], [])


def test_resolve_many_equals_resolve():
    registry, cases = resolution_cases.labelled_set(2000, 400, seed=3)
    r = _resolver(registry)
    many = r.resolve_many((c.name, None) for c in cases)
    one = [r.resolve(c.name) for c in cases]
    assert [(a.decision, a.ref, a.score, a.note) for a in many] == [(b.decision, b.ref, b.score, b.note) for b in one]


def test_the_labelled_set_meets_the_goals():
    registry, cases = resolution_cases.labelled_set(10_000, 3000, seed=11)
    assert {c.kind for c in cases} == set(resolution_cases.SHARES)
    r = _resolver(registry)
    resolutions = r.resolve_many((c.name, None) for c in cases)
    result = resolution_cases.evaluate([(res.decision, res.ref) for res in resolutions], cases)
    assert result["precision"] >= 0.99, result
    assert result["recall"] >= 0.97, result
    assert result["review_share"] < 0.05, result
    for kind in resolution_cases.TYPO_KINDS:  # each kind of typo is mostly linked
        counts = result["by_kind"][kind]
        assert counts.get("right", 0) >= 0.9 * sum(counts.values()), (kind, counts)
    for kind in ("extra_word", "dropped_word", "trade_word", "brand_char", "brand_length", "form", "twin"):
        counts = result["by_kind"][kind]  # near misses are (almost) never linked
        assert counts.get("wrong_auto", 0) + counts.get("right", 0) <= 0.03 * sum(counts.values()), (kind, counts)
