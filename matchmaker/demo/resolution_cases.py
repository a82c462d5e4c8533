"""A labelled set for entity resolution: a registry of real-looking Zaozhuang company names and a white list
written against it, each row labelled with the firm it really is (or none) and the kind of spelling — format
variants, each kind of typo, firms not registered and each kind of near miss. Deterministic given a seed; the
resolution tests and `benchmarks/resolve_names.py` both measure on it."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from ..domain.firms.entity_resolution import AUTO, REVIEW, SIMILAR_SHAPES
from . import names

# share of the white list's rows by kind; a real list is mostly registered firms spelt another way
SHARES = {
    # the same firm, written another way
    "variant": 0.71,                      # region prefix, （枣庄）, full-width, spaces, 有限公司 ↔ 有限责任公司
    "drop": 0.03, "add": 0.03,            # a character dropped / added in the trade part, or a doubled one
    "homophone": 0.03, "shape": 0.03,     # a character replaced by a homophone / a similar-looking one
    "other_char": 0.03,                   # a character of the trade part replaced by an unrelated one
    "twin": 0.005,                        # a typo of a firm that has a near-twin registered (must go to review)
    # another firm
    "fresh": 0.07,                        # not registered at all
    "extra_word": 0.008, "dropped_word": 0.008,   # 化工 vs 化工科技, 新材料科技 vs 新材料
    "trade_word": 0.008,                  # 化工 vs 化学, 材料 vs 新材料: one character, another word
    "brand_char": 0.008,                  # another 字号 character (not a homophone or similar-looking)
    "brand_length": 0.006,                # 鑫源 vs 鑫源泰
    "form": 0.006,                        # 有限公司 vs 厂 / 专业合作社 / 分公司
}
POSITIVE_KINDS = ("variant", "drop", "add", "homophone", "shape", "other_char", "twin")
TYPO_KINDS = ("drop", "add", "homophone", "shape", "other_char")
EXTRA_WORDS = ("科技", "新材料", "集团", "化工", "材料", "贸易", "设备", "实业", "发展")
WORD_SWAPS = (("化工", "化学"), ("机械", "机电"), ("电子", "电器"), ("服装", "服饰"), ("建材", "建设"),
              ("物流", "物资"), ("商贸", "商务"), ("食品", "饮品"), ("医药", "医疗"), ("材料", "新材料"),
              ("能源", "新能源"), ("包装", "服装"), ("建筑", "建设"), ("工程", "工贸"))
OTHER_FORMS = ("厂", "专业合作社", "分公司", "经营部")
_SHAPE_OF = {ch: group for group in SIMILAR_SHAPES for ch in group}
# common characters, for a character added or replaced by mistake
_TYPO_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信"
    "马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
    "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞"
)


@dataclass(frozen=True, slots=True)
class Firm:
    name: str
    region: str
    brand: str       # 字号
    trade: str
    form: str

    @property
    def core(self) -> str:
        return self.brand + self.trade


@dataclass(frozen=True, slots=True)
class Case:
    name: str              # as the white list writes it
    truth: int | None      # index of the registered firm it is; None: a firm not in the registry
    kind: str


def _firms(count: int, rng: random.Random) -> list[Firm]:
    """Distinct firms: a brand (字号) is used at most once per trade, as a registry holds them."""
    seen: set[tuple[str, str]] = set()
    out = []
    while len(out) < count:
        industry = rng.choice(list(names.TRADES))
        trade = rng.choice(names.TRADES[industry] + names.EXTRA_TRADES[industry])
        brand = "".join(rng.choice(names.BRAND_CHARS) for _ in range(3 if rng.random() < 0.2 else 2))
        if (brand, trade) in seen or (brand, trade[:2]) in seen or brand.startswith("山东"):
            continue
        seen.update({(brand, trade), (brand, trade[:2])})
        form = "专业合作社" if trade.endswith("专业合作社") else rng.choice(names.FORMS)
        trade = trade.removesuffix("专业合作社")
        region = rng.choice(names.REGIONS)
        out.append(Firm(f"{region}{brand}{trade}{form}", region, brand, trade, form))
    return out


def _with(firm: Firm, brand: str | None = None, trade: str | None = None, form: str | None = None,
          region: str | None = None) -> str:
    return ((firm.region if region is None else region) + (firm.brand if brand is None else brand)
            + (firm.trade if trade is None else trade) + (firm.form if form is None else form))


def _variant(rng: random.Random, firm: Firm) -> str:
    """The same spelling as another office writes it: nothing but format."""
    form = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}.get(firm.form, firm.form)
    way = rng.choice(["region", "region", "bracket", "width", "space", "form", "combo"])
    if way == "region":
        return _with(firm, region=rng.choice([r for r in names.REGIONS + ["山东省枣庄市市中区"] if r != firm.region]))
    if way == "bracket":
        return rng.choice(["", "山东"]) + firm.core + rng.choice(["（枣庄）", "(枣庄)", "（市中区）", "【枣庄】"]) + firm.form
    if way == "width":
        return _with(firm, region="枣庄（市中区）").replace("（", "(").replace("）", ")") if rng.random() < 0.3 \
            else (firm.region + firm.core).translate(names._WIDE) + firm.form
    if way == "space":
        i = rng.randint(1, len(firm.name) - 1)
        return firm.name[:i] + rng.choice([" ", "\u3000", "  "]) + firm.name[i:]
    if way == "form":
        return _with(firm, form=form)
    return rng.choice(["枣庄市", "山东省", "", "市中区 "]) + firm.core + " " + form


def _in_trade(rng: random.Random, firm: Firm) -> int:
    return len(firm.brand) + rng.randrange(len(firm.trade))


def _typo(rng: random.Random, firm: Firm, kind: str) -> str | None:
    core, b = firm.core, len(firm.brand)
    if kind == "drop":
        i = _in_trade(rng, firm)
        return _with(firm, brand="", trade=core[:i] + core[i + 1:])
    if kind == "add":
        if rng.random() < 0.3:  # a doubled character, anywhere
            i = rng.randrange(len(core))
            return _with(firm, brand="", trade=core[:i + 1] + core[i] + core[i + 1:])
        i = b + 1 + rng.randrange(len(firm.trade))
        return _with(firm, brand="", trade=core[:i] + rng.choice(_TYPO_CHARS) + core[i:])
    if kind == "homophone":
        spots = [i for i, ch in enumerate(core) if names.homophones(ch)]
        if not spots:
            return None
        i = rng.choice(spots)
        return _with(firm, brand="", trade=core[:i] + rng.choice(names.homophones(core[i])) + core[i + 1:])
    if kind == "shape":
        spots = [i for i, ch in enumerate(core) if ch in _SHAPE_OF]
        if not spots:
            return None
        i = rng.choice(spots)
        other = rng.choice(_SHAPE_OF[core[i]].replace(core[i], ""))
        return _with(firm, brand="", trade=core[:i] + other + core[i + 1:])
    i = _in_trade(rng, firm)  # other_char
    avoid = set(names.homophones(core[i])) | set(_SHAPE_OF.get(core[i], core[i]))
    return _with(firm, brand="", trade=core[:i] + rng.choice([c for c in _TYPO_CHARS if c not in avoid]) + core[i + 1:])


def _near_miss(rng: random.Random, firm: Firm, kind: str) -> str | None:
    if kind == "extra_word":
        word = rng.choice([w for w in EXTRA_WORDS if w not in firm.trade])
        return _with(firm, trade=firm.trade + word) if rng.random() < 0.7 else _with(firm, trade=word + firm.trade)
    if kind == "dropped_word":
        words = [w for w in EXTRA_WORDS + ("精细", "制造", "物流", "发展", "技术", "工程") if w in firm.trade and w != firm.trade]
        return _with(firm, trade=firm.trade.replace(rng.choice(words), "", 1)) if words else None
    if kind == "trade_word":
        swaps = [(a, b) for a, b in WORD_SWAPS + tuple((b, a) for a, b in WORD_SWAPS)
                 if a in firm.trade and b not in firm.trade]
        if not swaps:
            return None
        a, b = rng.choice(swaps)
        return _with(firm, trade=firm.trade.replace(a, b, 1))
    if kind == "brand_char":
        i = rng.randrange(len(firm.brand))
        avoid = set(names.homophones(firm.brand[i])) | set(_SHAPE_OF.get(firm.brand[i], "")) | {firm.brand[i]}
        new = rng.choice([c for c in names.BRAND_CHARS if c not in avoid])
        return _with(firm, brand=firm.brand[:i] + new + firm.brand[i + 1:])
    if kind == "brand_length":
        if len(firm.brand) == 3:
            i = rng.randrange(3)
            return _with(firm, brand=firm.brand[:i] + firm.brand[i + 1:])
        return _with(firm, brand=firm.brand + rng.choice([c for c in names.BRAND_CHARS if c not in firm.brand]))
    return _with(firm, form=rng.choice([f for f in OTHER_FORMS if f != firm.form]))  # form


def labelled_set(firms: int, rows: int, seed: int = 2023) -> tuple[list[str], list[Case]]:
    """(registry names, white-list rows). Registry index i is firm i. Kinds take their SHARES of the rows."""
    rng = random.Random(seed)
    counts = {kind: round(share * rows) for kind, share in SHARES.items()}
    counts["variant"] += rows - sum(counts.values())
    pool = _firms(firms + counts["fresh"] + 10, rng)
    registry, fresh = pool[:firms], pool[firms:]
    registered = {(f.brand + f.trade, f.form) for f in registry}
    taken = {f.name for f in pool}
    cases: list[Case] = []
    twins: list[tuple[int, Firm]] = []
    while len(twins) < counts["twin"]:  # a firm and a registered near-twin (the same trade, a homophone 字号)
        i = rng.randrange(firms)
        firm = registry[i]
        spots = [k for k, ch in enumerate(firm.brand) if names.homophones(ch)]
        if len(firm.core) < 5 or not spots:
            continue
        k = rng.choice(spots)
        twin = Firm("", firm.region, firm.brand[:k] + rng.choice(names.homophones(firm.brand[k])) + firm.brand[k + 1:],
                    firm.trade, firm.form)
        twin = Firm(_with(twin), twin.region, twin.brand, twin.trade, twin.form)
        if twin.name in taken:
            continue
        taken.add(twin.name)
        twins.append((i, twin))
    names_out = [f.name for f in registry] + [t.name for _, t in twins]
    for i, _ in twins:
        cases.append(Case(_typo(rng, registry[i], "drop"), i, "twin"))
    long_ones = [i for i, f in enumerate(registry) if len(f.core) >= 5]
    for kind, count in counts.items():
        made = 0
        while made < count and kind != "twin":
            if kind == "fresh":
                cases.append(Case(_variant(rng, fresh[made]) if rng.random() < 0.5 else fresh[made].name, None, kind))
                made += 1
                continue
            i = rng.choice(long_ones) if kind in TYPO_KINDS else rng.randrange(firms)
            firm = registry[i]
            if kind == "variant":
                written = _variant(rng, firm)
            elif kind in TYPO_KINDS:
                written = _typo(rng, firm, kind)
            else:
                written = _near_miss(rng, firm, kind)
            if written is None or written in taken:
                continue
            if kind not in POSITIVE_KINDS and any((core, form) in registered for core, form in _readings(written)):
                continue  # by chance the name of a registered firm: not a near miss
            cases.append(Case(written, i if kind in POSITIVE_KINDS else None, kind))
            made += 1
    rng.shuffle(cases)
    return names_out, cases


def _readings(written: str) -> list[tuple[str, str]]:
    """(core, form) pairs a written near miss could be read as, for the check against the registry."""
    out = []
    for region in sorted(names.REGIONS, key=len, reverse=True):
        if written.startswith(region):
            rest = written[len(region):]
            for form in names.FORMS + list(OTHER_FORMS) + ["专业合作社"]:
                if rest.endswith(form):
                    out.append((rest[: -len(form)], form))
    return out


def evaluate(decisions: list[tuple[str, object]], cases: list[Case]) -> dict:
    """Precision and recall of the automatic links, the review share, and decisions by kind, from
    (decision, linked registry index or None) per case."""
    autos = right = reviews = 0
    by_kind: dict[str, Counter] = {}
    for (decision, ref), case in zip(decisions, cases):
        correct = decision == AUTO and case.truth is not None and ref == case.truth
        autos += decision == AUTO
        right += correct
        reviews += decision == REVIEW
        outcome = "right" if correct else "wrong_auto" if decision == AUTO else decision
        by_kind.setdefault(case.kind, Counter())[outcome] += 1
    positives = sum(case.truth is not None for case in cases)
    return {
        "rows": len(cases), "precision": round(right / autos, 4) if autos else None,
        "recall": round(right / positives, 4) if positives else None,
        "review_share": round(reviews / len(cases), 4),
        "by_kind": {kind: dict(counter) for kind, counter in sorted(by_kind.items())},
    }
