"""Entity resolution: link a company name as written in a list (and its USCC, when given) to one known firm.

Order: exact USCC, then a remembered alias, then the name. Names are normalised (全角→半角, brackets,
whitespace, local region prefixes 山东/枣庄/枣庄市/市中区) and split into a core and a company form; the form is
kept as a feature (有限公司 ≡ 有限责任公司, 股份有限公司 a little apart, 合作社/厂/分公司 far apart), so
枣庄XX化工有限公司 and 枣庄XX化工科技有限公司 stay different firms. Cores are compared by an edit distance in which
a homophone (the usual pinyin-input typo) costs a quarter of another change, among candidates found by blocking
on rare character and sound bigrams: each name looks at a bounded number of firms, so the cost grows with the
number of names, not names × firms. No database here: callers pass (ref, uscc, name) records.
"""
from __future__ import annotations

import gc
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable

from pypinyin.pinyin_dict import pinyin_dict
from rapidfuzz.distance import OSA

from . import uscc as uscc_rules

AUTO, REVIEW, NEW = "auto", "review", "new"
DEFAULT_AUTO_THRESHOLD = 92.0
DEFAULT_REVIEW_THRESHOLD = 75.0
HOMOPHONE_COST = 0.25     # a same-sound substitution costs this much of a real change
AMBIGUITY_MARGIN = 3.0    # two different firms this close to the top: a person decides
CANDIDATES = 20           # candidates scored exactly per name, after blocking
POSTING_CAP = 300         # bigrams shared by more firms than this are too common to block on
SCAN_BUDGET = 1500        # at most this many postings read per name

REGION_PREFIXES = ("山东省", "山东", "枣庄市", "枣庄", "市中区")
_BRACKETED_REGION = re.compile(r"\((?:山东省?|枣庄市?|市中区|枣庄市市中区)+\)")
# Longest first. Classes: equal classes are the same form; see FORM_PENALTY for the rest.
FORMS = (
    ("股份有限公司", "joint_stock"), ("有限责任公司", "limited"), ("专业合作社", "coop"), ("股份合作公司", "coop"),
    ("有限公司", "limited"), ("股份公司", "joint_stock"), ("分公司", "branch"), ("合作社", "coop"),
    ("公司", "company"), ("分厂", "branch"), ("厂", "factory"), ("商行", "shop"), ("经营部", "shop"),
    ("门市部", "shop"), ("个体工商户", "shop"),
)
FORM_PENALTY_SMALL = {frozenset({"limited", "company"}): 2.0, frozenset({"limited", "joint_stock"}): 6.0,
                      frozenset({"joint_stock", "company"}): 6.0, frozenset({"factory", "shop"}): 8.0}
FORM_PENALTY_MISSING = 3.0   # one side writes no form at all (an abbreviation)
FORM_PENALTY_OTHER = 15.0    # e.g. 合作社 vs 有限公司, a branch vs its parent
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")",
                           "［": "(", "］": ")", "{": "(", "}": ")", "《": "", "》": "", "“": "", "”": "",
                           "\"": "", "'": "", "‘": "", "’": ""})
_DROP = re.compile(r"[\s()·・.,，、:：;；\-—_/\\*#]+")


def normalise(name: str) -> str:
    """Half-width, unified brackets, no whitespace, Latin letters upper-case."""
    return "".join(unicodedata.normalize("NFKC", name or "").translate(_BRACKETS).split()).upper()


@dataclass(frozen=True, slots=True)
class NameParts:
    core: str        # the distinguishing part: brand and trade, without region prefix or company form
    form: str        # form class ("limited", "joint_stock", ...) or "" when none is written
    sound: str       # core with each character replaced by a code for its toneless pinyin

    @property
    def key(self) -> str:
        """Equal keys mean the same spelling (used for aliases and exact matches)."""
        return f"{self.core}|{self.form}"


class _SoundTable(dict):
    """str.translate table: character -> one private-use character per toneless pinyin syllable."""

    def __init__(self):
        super().__init__()
        self.codes: dict[str, str] = {}

    def __missing__(self, codepoint: int) -> str:
        raw = pinyin_dict.get(codepoint)
        if raw is None:
            value = chr(codepoint)
        else:
            syllable = "".join(c for c in unicodedata.normalize("NFD", raw.split(",")[0])
                               if not unicodedata.combining(c))
            value = self.codes.setdefault(syllable, chr(0xE000 + len(self.codes)))
        self[codepoint] = value
        return value


_SOUNDS = _SoundTable()


_REGION_PREFIX = re.compile("^(?:" + "|".join(REGION_PREFIXES) + ")+")
_FORM_SUFFIX = re.compile("(" + "|".join(suffix for suffix, _ in FORMS) + ")$")
_FORM_CLASS = dict(FORMS)


def parse(name: str) -> NameParts:
    """Split a company name into core, form class and the core's sound."""
    text = _BRACKETED_REGION.sub("", normalise(name))
    prefix = _REGION_PREFIX.match(text)
    if prefix and prefix.end() < len(text):
        text = text[prefix.end():]
    form = ""
    suffix = _FORM_SUFFIX.search(text, 1)
    if suffix:
        text, form = text[: suffix.start()], _FORM_CLASS[suffix.group(1)]
    core = _DROP.sub("", text) or text
    return NameParts(core, form, core.translate(_SOUNDS))


def name_key(name: str) -> str:
    return parse(name).key


def _penalty(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if not a or not b:
        return FORM_PENALTY_MISSING
    return FORM_PENALTY_SMALL.get(frozenset({a, b}), FORM_PENALTY_OTHER)


_CLASSES = ("", *dict.fromkeys(cls for _, cls in FORMS))
_PENALTIES = {(a, b): _penalty(a, b) for a in _CLASSES for b in _CLASSES}


def form_penalty(a: str, b: str) -> float:
    """Points taken off for a different company form (small for 有限公司 vs 公司, large for 合作社 vs 公司)."""
    return _PENALTIES[a, b]


def similarity(a: NameParts, b: NameParts) -> float:
    """0–100: how likely two parsed names are the same firm (100 = same core and form)."""
    if a.core == b.core:
        core_sim = 100.0
    else:
        longest = max(len(a.core), len(b.core))
        by_char = OSA.distance(a.core, b.core)
        by_sound = OSA.distance(a.sound, b.sound)
        cost = by_sound + HOMOPHONE_COST * (by_char - by_sound)
        core_sim = max(0.0, 100.0 * (1.0 - cost / longest))
    return max(0.0, core_sim - form_penalty(a.form, b.form))


def score_names(a: str, b: str) -> float:
    return similarity(parse(a), parse(b))


def _grams(parts: NameParts) -> list[str]:
    core, sound = parts.core, parts.sound
    if len(core) < 3:
        return [core, sound]
    # sound bigrams (a homophone typo keeps them) and character skip-grams (another typo keeps some of them);
    # sound codes are private-use characters, so the two kinds never collide
    grams = [sound[i:i + 2] for i in range(len(sound) - 1)]
    grams += [core[i] + "_" + core[i + 2] for i in range(len(core) - 2)]
    return list(dict.fromkeys(grams))


def _code(code: str | None) -> str:
    """A USCC as compared (already clean codes, the common case, skip the normalisation)."""
    if not code:
        return ""
    return code if code.isascii() and code.isalnum() and code == code.upper() else uscc_rules.normalise(code)


@dataclass(slots=True)
class Candidate:
    ref: Hashable
    name: str
    uscc: str | None
    score: float


@dataclass(slots=True)
class Resolution:
    decision: str                    # auto / review / new
    method: str                      # uscc / alias / name / "" (new)
    score: float
    candidates: list[Candidate] = field(default_factory=list)   # best first, one per firm
    note: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def ref(self) -> Hashable | None:
        return self.best.ref if self.decision == AUTO and self.best else None


class Resolver:
    """An index over known firms; `resolve(name, uscc)` says which firm a written name is."""

    def __init__(self, records: Iterable[tuple[Hashable, str | None, str]], aliases: dict[str, Hashable] | None = None,
                 auto_threshold: float = DEFAULT_AUTO_THRESHOLD, review_threshold: float = DEFAULT_REVIEW_THRESHOLD):
        self.auto_threshold = auto_threshold
        self.review_threshold = review_threshold
        self.refs: list[Hashable] = []
        self.names: list[str] = []
        self.usccs: list[str | None] = []
        self.by_uscc: dict[str, int] = {}
        for ref, code, name in records:
            code = _code(code) or None
            if code:
                self.by_uscc.setdefault(code, len(self.refs))
            self.refs.append(ref)
            self.names.append(name)
            self.usccs.append(code)
        self.first_of_ref: dict[Hashable, int] = {}
        for i, ref in enumerate(self.refs):
            self.first_of_ref.setdefault(ref, i)
        self.aliases = dict(aliases or {})
        self._parts: list[NameParts] | None = None  # the name index is built on the first name to match
        self.by_key: dict[str, list[int]] = {}
        self.postings: dict[str, list[int]] = {}

    @property
    def parts(self) -> list[NameParts]:
        if self._parts is None:
            self._build_index()
        return self._parts

    def _build_index(self) -> None:
        paused = gc.isenabled()
        gc.disable()  # many small objects at once: collection passes would only slow this down
        try:
            self._fill_index()
        finally:
            if paused:
                gc.enable()

    def _fill_index(self) -> None:
        by_key: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)
        parts_list = []
        for i, name in enumerate(self.names):
            parts = parse(name)
            parts_list.append(parts)
            by_key[parts.key].append(i)
            for gram in _grams(parts):
                postings[gram].append(i)
        self._parts, self.by_key, self.postings = parts_list, dict(by_key), dict(postings)

    def __len__(self) -> int:
        return len(self.refs)

    def _candidate(self, i: int, score: float) -> Candidate:
        return Candidate(self.refs[i], self.names[i], self.usccs[i], round(score, 1))

    def _blocked(self, parts: NameParts) -> list[int]:
        """Record indexes worth scoring: exact key, then those sharing the most rare bigrams."""
        if self._parts is None:
            self._build_index()
        grams = sorted((g for g in _grams(parts) if g in self.postings), key=lambda g: len(self.postings[g]))
        counts: dict[int, int] = defaultdict(int)
        scanned = 0
        for n, gram in enumerate(grams):
            posting = self.postings[gram]
            if n >= 2 and (len(posting) > POSTING_CAP or scanned + len(posting) > SCAN_BUDGET):
                break
            for i in posting[:SCAN_BUDGET]:
                counts[i] += 1
            scanned += len(posting)
        found = list(self.by_key.get(parts.key, ()))
        found += sorted(counts, key=counts.__getitem__, reverse=True)[:CANDIDATES]
        return list(dict.fromkeys(found))

    def rank(self, name: str, limit: int = 5) -> list[Candidate]:
        """Up to `limit` candidates for a name, best first, one per firm (ref)."""
        parts = parse(name)
        best: dict[Hashable, tuple[float, int]] = {}
        for i in self._blocked(parts):
            score = similarity(parts, self._parts[i])
            ref = self.refs[i]
            if ref not in best or score > best[ref][0]:
                best[ref] = (score, i)
        top = sorted(best.items(), key=lambda item: (-item[1][0], str(item[0])))[:limit]
        return [self._candidate(i, score) for _, (score, i) in top]

    def resolve(self, name: str, uscc: str | None = None) -> Resolution:
        code = _code(uscc)
        if code and code in self.by_uscc:
            return Resolution(AUTO, "uscc", 100.0, [self._candidate(self.by_uscc[code], 100.0)])
        alias = self.aliases.get(name_key(name))
        if alias is not None and alias in self.first_of_ref:
            return Resolution(AUTO, "alias", 100.0, [self._candidate(self.first_of_ref[alias], 100.0)])
        candidates, note = self.rank(name), ""
        if code:  # the row's code is registered nowhere: a firm registered under another code is another firm
            others = [c for c in candidates if c.uscc and c.uscc != code]
            candidates = [c for c in candidates if not (c.uscc and c.uscc != code)]
            if others and (not candidates or others[0].score > candidates[0].score):
                note = f"名称相近的{others[0].name}信用代码不同，视为不同企业"
        if not candidates or candidates[0].score < self.review_threshold:
            return Resolution(NEW, "", candidates[0].score if candidates else 0.0, candidates, note)
        top = candidates[0]
        decision = AUTO if top.score >= self.auto_threshold else REVIEW
        if decision == AUTO and len(candidates) > 1 and candidates[1].score > top.score - AMBIGUITY_MARGIN:
            decision, note = REVIEW, "有多家名称相近的企业"
        return Resolution(decision, "name", top.score, candidates, note)
