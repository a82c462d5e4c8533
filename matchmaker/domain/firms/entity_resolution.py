"""Entity resolution: link a company name as written in a list (and its USCC, when given) to one known firm.

Order: exact USCC, then a remembered alias, then the name. Names are normalised (全角→半角, brackets,
whitespace, local region prefixes 山东/枣庄/枣庄市/市中区) and split into a core (字号 + trade) and a company form;
the form is kept as a feature (有限公司 ≡ 有限责任公司, 股份有限公司 a little apart, 合作社/厂/分公司 far apart), so
枣庄XX化工有限公司 and 枣庄XX化工科技有限公司 stay different firms.

An exact normalised spelling links at once. Otherwise candidates are found by blocking on sound bigrams and
character skip-grams (an index of sorted integer codes, so each name reads a bounded number of postings), and the
candidates of all names are scored together inside rapidfuzz: an edit distance over the cores in which a homophone
(the usual pinyin-input slip) or a similar-looking character costs a quarter of another change. A name links
automatically when
  - its best score reaches the auto threshold with no other firm within AMBIGUITY_MARGIN points, or
  - (the margin rule for typos) the best firm's core is long and a single edit away — a dropped, added or
    substituted character — while every other firm is at least TYPO_CLEAR_COST edits away (a homophone counting a
    quarter) and TYPO_MARGIN points lower;
and in both cases the edit is a plausible slip: it does not make another trade word (化工→化学, 材料→新材料) and
changes the 字号 only by a homophone, a similar-looking or a doubled character. When every close firm differs by a
whole trade word or by its 字号, the name is another firm: new, with a note naming the close one. Everything else
scoring at least the review threshold goes to a person. No database here: callers pass (ref, uscc, name) records.
"""
from __future__ import annotations

import gc
import importlib.util
import json
import operator
import re
import sys
import unicodedata
from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Hashable, Iterable, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import uscc as uscc_rules

AUTO, REVIEW, NEW = "auto", "review", "new"
DEFAULT_AUTO_THRESHOLD = 92.0
DEFAULT_REVIEW_THRESHOLD = 75.0
HOMOPHONE_COST = 0.25     # a same-sound or similar-looking substitution costs this much of a real change
AMBIGUITY_MARGIN = 3.0    # two different firms this close to the top: a person decides
TYPO_MIN_CORE = 5         # the typo rule needs this many characters of core (字号 + trade) in the known name
TYPO_CLEAR_COST = 2.0     # ... every other firm at least this many edits away (a homophone counts a quarter)
TYPO_MARGIN = 5.0         # ... and at least this many points below the best
BRAND_MIN = 2             # the 字号 is at least the first two characters of the core
CANDIDATES = 20           # candidates scored per name, after blocking
POSTING_CAP = 300         # grams shared by more firms than this are too common to block on
SCAN_BUDGET = 1500        # at most this many postings read per name
INDEX_CHUNK = 20000       # names parsed together while the index is built

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
# Trade words: a one-character edit that makes the written core contain a word the known core lacks
# (化工→化学, 材料→新材料, 机械→机电) names another business, not a slip.
TRADE_WORDS = (
    "新材料 材料 新型材料 高分子 复合材料 纳米 碳素 新能源 能源 科技 技术 集团 化工 化学 精细化工 化工材料 化学工业 "
    "机械 机电 机械制造 精密 重工 装备 智能 自动化 液压 设备 电子 电器 电气 电力 光伏 热力 燃气 通信 信息 网络 软件 "
    "数据 贸易 商贸 工贸 实业 发展 投资 建材 建设 建筑 工程 安装 装饰 路桥 混凝土 水泥 钢铁 矿业 煤业 煤炭 环保 环境 "
    "水务 水处理 净水 食品 饮品 饮料 粮油 面粉 调味品 肉制品 农业 农副产品 农机 生态 种植 养殖 种养殖 果蔬 花卉 苗木 "
    "石榴 生物 医药 医疗 医用 器械 器材 康复 卫生 健康 纺织 服装 服饰 家纺 制衣 针织 织造 物流 仓储 供应链 电子商务 "
    "汽车 销售 服务 文化 传媒 管理 咨询 教育 置业 房地产 物业 酒店 餐饮 旅游 包装 印刷 塑料 橡胶 木业 家具 加工 "
    "制造 制品 用品 工业 开发 商务 运输 物资"
).split()
# Characters often confused by eye (handwriting, scans); each group counts as one "shape" like a homophone.
SIMILAR_SHAPES = (
    "己已巳 未末 士土 干千于 天夭 大太犬 王玉主 日曰 人入八 刀力 晟晨 昊吴 泰秦 锦绵 瑞端 汇江 宇字 材村 贸贺 技枝 "
    "术木 农衣 司同 析折 侯候 戍戌 侍待 洒酒 怡恰 鸟乌 免兔 辨辩辫 牧枚 拨拔 历厉 徽微 崇祟 祥样 华毕 益盖 业亚 新亲 "
    "永水 聚娶 嘉喜 禾木 金全 东车 方万 明朋 远运 宝宜 富寓 悦锐 冠寇 润涧 恒垣 隆降 浩洁"
).split()
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")",
                           "［": "(", "］": ")", "{": "(", "}": ")", "《": "", "》": "", "“": "", "”": "",
                           "\"": "", "'": "", "‘": "", "’": ""})
_DROP = re.compile(r"[\s()·・.,，、:：;；\-—_/\\*#]+")


def normalise(name: str) -> str:
    """Half-width, unified brackets, no whitespace, Latin letters upper-case."""
    return "".join(unicodedata.normalize("NFKC", name or "").translate(_BRACKETS).split()).upper()


_NOT_NEWLINE_SPACE = re.compile(r"[^\S\n]+")


def nfkc_joined(texts: Sequence[str]) -> str | None:
    """The texts joined one a line and NFKC-normalised in one pass (most are already: then only checked); None
    when a text holds a line break itself. NFKC can make or take a line break: callers compare the lines' count."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return None
    return joined if unicodedata.is_normalized("NFKC", joined) else unicodedata.normalize("NFKC", joined)


def normalise_many(names: Sequence[str]) -> list[str]:
    """`normalise` of many names at once (the text steps run once over all of them joined one a line)."""
    if not names:
        return []
    joined = nfkc_joined([n or "" for n in names])
    if joined is None:
        return [normalise(n) for n in names]
    for old, new in _BRACKET_PAIRS:
        if old in joined:
            joined = joined.replace(old, new)
    out = _NOT_NEWLINE_SPACE.sub("", joined).upper().split("\n")
    return out if len(out) == len(names) else [normalise(n) for n in names]


@dataclass(frozen=True, slots=True)
class NameParts:
    core: str        # the distinguishing part: brand and trade, without region prefix or company form
    form: str        # form class ("limited", "joint_stock", ...) or "" when none is written
    sound: str       # core with each character replaced by a code for its toneless pinyin
    shape: str = ""  # core with similar-looking characters replaced by one of their group

    @property
    def key(self) -> str:
        """Equal keys mean the same spelling (used for aliases and exact matches)."""
        return f"{self.core}|{self.form}"


def _pinyin_dict() -> dict[int, str]:
    """pypinyin's readings of single characters, read from its data file when pypinyin is not loaded yet:
    importing pypinyin loads its phrase dictionary too (~55 MB and 190,000 objects a worker would carry and
    its garbage collector walk), which resolution never uses."""
    loaded = sys.modules.get("pypinyin.pinyin_dict")
    if loaded is not None:
        return loaded.pinyin_dict
    spec = importlib.util.find_spec("pypinyin")  # finds the package without running it
    with open(f"{spec.submodule_search_locations[0]}/pinyin_dict.json", encoding="utf-8") as data:
        return {int(k): v for k, v in json.load(data).items()}


class _SoundTable(dict):
    """str.translate table: character -> one private-use character per toneless pinyin syllable."""

    def __init__(self):
        super().__init__()
        self.codes: dict[str, str] = {}
        self.readings: dict[int, str] | None = None  # loaded on the first character looked up

    def __missing__(self, codepoint: int) -> str:
        if self.readings is None:
            self.readings = _pinyin_dict()
        raw = self.readings.get(codepoint)
        if raw is None:
            value = chr(codepoint)
        else:
            syllable = "".join(c for c in unicodedata.normalize("NFD", raw.split(",")[0])
                               if not unicodedata.combining(c))
            value = self.codes.setdefault(syllable, chr(0xE000 + len(self.codes)))
        self[codepoint] = value
        return value


_SOUNDS = _SoundTable()
_SHAPES = {ord(ch): group[0] for group in SIMILAR_SHAPES for ch in group[1:]}
_BRACKET_PAIRS = tuple((chr(k), v or "") for k, v in _BRACKETS.items())


_REGION_PREFIX = re.compile("^(?:" + "|".join(REGION_PREFIXES) + ")+")
_FORM_SUFFIX = re.compile("(" + "|".join(suffix for suffix, _ in FORMS) + ")$")
_FORM_CLASS = dict(FORMS)
# the same steps over many names at once, one name a line (see parse_many)
_SPACE_LINES = re.compile(r"[^\S\n]+")
_REGION_PREFIX_LINES = re.compile("(?m)^(?>(?:" + "|".join(REGION_PREFIXES) + ")+)(?=[^\n])")
_FORMS_BY_LAST: dict[str, list[str]] = {}
for _suffix in sorted((suffix for suffix, _ in FORMS), key=len, reverse=True):
    _FORMS_BY_LAST.setdefault(_suffix[-1], []).append(_suffix)
_DROP_LINES = re.compile(r"[()·・.,，、:：;；\-—_/\\*#]+")
_WORDS = re.compile("|".join(sorted(TRADE_WORDS, key=len, reverse=True)))


def parse(name: str) -> NameParts:
    """Split a company name into core, form class, and the core's sound and shape."""
    text = _BRACKETED_REGION.sub("", normalise(name))
    prefix = _REGION_PREFIX.match(text)
    if prefix and prefix.end() < len(text):
        text = text[prefix.end():]
    form = ""
    suffix = _FORM_SUFFIX.search(text, 1)
    if suffix:
        text, form = text[: suffix.start()], _FORM_CLASS[suffix.group(1)]
    core = _DROP.sub("", text) or text
    return NameParts(core, form, core.translate(_SOUNDS), core.translate(_SHAPES))


def parse_many(names: Sequence[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """(cores, forms, sounds, shapes) of many names, exactly what `parse` gives, several times faster: the text
    steps run once over all names joined one a line, and sounds and shapes are looked up in arrays."""
    if not names:
        return [], [], [], []
    joined = "\n".join(names)
    if joined.count("\n") != len(names) - 1 or "\r" in joined:
        joined = "\n".join(name.replace("\n", " ").replace("\r", " ") for name in names)
    text = joined
    if not unicodedata.is_normalized("NFKC", joined):  # normalise only the names that need it (much faster)
        text = "\n".join(line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
                         for line in joined.split("\n"))
    for old, new in _BRACKET_PAIRS:
        if old in text:
            text = text.replace(old, new)
    text = _BRACKETED_REGION.sub("", _SPACE_LINES.sub("", text).upper())
    lines = _REGION_PREFIX_LINES.sub("", text).split("\n")
    if len(lines) != len(names):  # a character that NFKC or upper() turned into a line break: one by one
        parts = [parse(n) for n in names]
        return [p.core for p in parts], [p.form for p in parts], [p.sound for p in parts], [p.shape for p in parts]
    cores, forms = [], []
    for line in lines:
        form = ""
        for suffix in _FORMS_BY_LAST.get(line[-1:], ()):
            if line.endswith(suffix) and len(line) > len(suffix):
                line, form = line[: -len(suffix)], _FORM_CLASS[suffix]
                break
        cores.append(line)
        forms.append(form)
    all_cores = "\n".join(cores)
    if _DROP_LINES.search(all_cores):
        cores = [_DROP.sub("", core) or core for core in cores]
        all_cores = "\n".join(cores)
    return cores, forms, _translated(all_cores, _SOUND_LUT).split("\n"), _translated(all_cores, _SHAPE_LUT).split("\n")


class _Lookup:
    """A character table as an array over all code points, filled from a str.translate table on first use."""

    def __init__(self, table: dict):
        self.table = table
        self.values = np.arange(0x110000, dtype=np.uint32)
        self.known = np.zeros(0x110000, dtype=bool)

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        missing = ~self.known[codes]
        if missing.any():
            for codepoint in np.unique(codes[missing]).tolist():
                self.values[codepoint] = ord(str(chr(codepoint)).translate(self.table))
                self.known[codepoint] = True
        return self.values[codes]


def _translated(text: str, lookup: _Lookup) -> str:
    return lookup(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)).tobytes().decode("utf-32-le")


_SOUND_LUT, _SHAPE_LUT = _Lookup(_SOUNDS), _Lookup(_SHAPES)


def name_key(name: str) -> str:
    return parse(name).key


def name_keys(names: Sequence[str]) -> list[str]:
    """`name_key` of many names, parsed together."""
    cores, forms, _, _ = parse_many(names)
    return _spelling_keys(cores, forms)


def _spelling_keys(cores: Sequence[str], forms: Sequence[str]) -> list[str]:
    """`NameParts.key` of many (core, form) pairs."""
    return list(map("|".join, zip(cores, forms)))


def _penalty(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if not a or not b:
        return FORM_PENALTY_MISSING
    return FORM_PENALTY_SMALL.get(frozenset({a, b}), FORM_PENALTY_OTHER)


_CLASSES = ("", *dict.fromkeys(cls for _, cls in FORMS))
_CLASS_ID = {cls: n for n, cls in enumerate(_CLASSES)}
_PENALTIES = {(a, b): _penalty(a, b) for a in _CLASSES for b in _CLASSES}
_PENALTY_MATRIX = np.array([[_penalty(a, b) for b in _CLASSES] for a in _CLASSES])


def form_penalty(a: str, b: str) -> float:
    """Points taken off for a different company form (small for 有限公司 vs 公司, large for 合作社 vs 公司)."""
    return _PENALTIES[a, b]


def _cost(by_char, by_sound, by_shape):
    """Edits between two cores, a homophone or similar-looking substitution counting HOMOPHONE_COST."""
    cheap = np.minimum(by_sound, by_shape)
    return cheap + HOMOPHONE_COST * (by_char - cheap)


def similarity(a: NameParts, b: NameParts) -> float:
    """0–100: how likely two parsed names are the same firm (100 = same core and form)."""
    if a.core == b.core:
        core_sim = 100.0
    else:
        cost = _cost(OSA.distance(a.core, b.core), OSA.distance(a.sound, b.sound), OSA.distance(a.shape, b.shape))
        core_sim = max(0.0, 100.0 * (1.0 - cost / max(len(a.core), len(b.core))))
    return max(0.0, core_sim - form_penalty(a.form, b.form))


def score_names(a: str, b: str) -> float:
    return similarity(parse(a), parse(b))


def trade_words(core: str) -> set[str]:
    """The trade words of a core, longest first at each place (新材料 is one word, not 材料)."""
    return set(_WORDS.findall(core))


def brand_end(core: str) -> int:
    """Where the 字号 ends: before the first trade word after the first two characters (at least two)."""
    found = _WORDS.search(core, BRAND_MIN)
    return found.start() if found else BRAND_MIN


def plausible_slip(written: str, known: str) -> bool:
    """Whether the difference between two cores may be a slip of the pen rather than another firm: the edit makes
    no trade word the known core lacks (化工→化学, 材料→新材料), and an edit inside the 字号 is a homophone, a
    similar-looking character or a doubled one."""
    if written == known:
        return True
    known_words = trade_words(known)
    if OSA.distance(written, known, score_cutoff=1) > 1:  # several small (homophone) changes: the score decides
        return trade_words(written) <= known_words and not word_difference(written, known)
    p = 0
    limit = min(len(written), len(known))
    while p < limit and written[p] == known[p]:
        p += 1
    if len(written) == len(known):
        kind = "swap" if p + 1 < len(known) and written[p + 1:] != known[p + 1:] else "sub"
        span = (p, p + 2 if kind == "swap" else p + 1)
    else:
        kind = "add" if len(written) > len(known) else "drop"
        span = (p, p + 1) if kind == "add" else (p, p)  # a dropped character leaves a gap at p
    for word in _WORDS.finditer(written):
        start, end = word.span()
        touches = start < span[1] and end > span[0] if span[0] < span[1] else start <= p <= end
        if touches and not any(word.group() in known_word for known_word in known_words):
            return False  # a word of its own, not what is left of one of the known words
    if word_difference(written, known):
        return False  # what is left is a word the known name has a longer form of (碳材料 → 材料)
    brand = brand_end(known)
    if kind == "sub":
        a, b = written[p], known[p]
        return (p >= brand or a.translate(_SOUNDS) == b.translate(_SOUNDS)
                or a.translate(_SHAPES) == b.translate(_SHAPES))
    if kind == "swap":
        return p >= brand
    if kind == "add":  # a character added at p: inside the trade, or a doubled one
        return p > brand or written[p] == known[p - 1:p] or written[p] == known[p:p + 1]
    return p >= brand or known[p] == known[p - 1:p] or known[p] == known[p + 1:p + 2]


def word_difference(written: str, known: str) -> set[str]:
    """The trade words by which two cores differ when that is all they differ by (化工科技 vs 化工: {科技};
    化工 vs 化学: {化工, 化学}); empty otherwise."""
    mine, theirs = trade_words(written), trade_words(known)
    if mine == theirs:
        return set()
    extra, missing = mine - theirs, theirs - mine
    for word in sorted(extra, key=len, reverse=True):
        written = written.replace(word, "")
    for word in sorted(missing, key=len, reverse=True):
        known = known.replace(word, "")
    return extra | missing if written == known else set()


def _code(code: str | None) -> str:
    """A USCC as compared (already clean codes, the common case, skip the normalisation)."""
    if not code:
        return ""
    return code if code.isascii() and code.isalnum() and code == code.upper() else uscc_rules.normalise(code)


_BIGRAM, _SKIPGRAM, _WHOLE = 1 << 42, 2 << 42, 3 << 42


def _query_grams(core: str, sound: str) -> set[int]:
    """The blocking grams of one core, as the integer codes `_gram_codes` makes: sound bigrams (a homophone typo
    keeps them) and character skip-grams (another typo keeps some of them)."""
    if len(core) < 2:
        return {_WHOLE | ord(core[0])} if core else set()
    grams = {_BIGRAM | ord(sound[i]) << 21 | ord(sound[i + 1]) for i in range(len(sound) - 1)}
    grams.update(_SKIPGRAM | ord(core[i]) << 21 | ord(core[i + 2]) for i in range(len(core) - 2))
    return grams


def _gram_codes(cores: list[str], sounds: list[str], first: int) -> tuple[np.ndarray, np.ndarray]:
    """The gram codes of the records numbered from `first` (cores and their sounds), and the record of each."""
    lengths = np.fromiter(map(len, cores), dtype=np.int64, count=len(cores))
    owner = np.repeat(np.arange(first, first + len(cores), dtype=np.int32), lengths + 1)  # +1: the separator
    inner = np.ones(len(owner), dtype=bool)
    inner[np.cumsum(lengths + 1) - 1] = False
    s = np.frombuffer(("\0".join(sounds) + "\0").encode("utf-32-le"), dtype=np.uint32)
    c = np.frombuffer(("\0".join(cores) + "\0").encode("utf-32-le"), dtype=np.uint32)
    bi = inner[:-1] & inner[1:]
    skip = inner[:-2] & inner[1:-1] & inner[2:]
    whole = inner & (lengths == 1)[owner - first]

    def gram(flag: int, a: np.ndarray, b: np.ndarray | None, where: np.ndarray) -> np.ndarray:
        out = a[where].astype(np.int64)
        if b is not None:
            out <<= 21
            out |= b[where]
        out |= flag
        return out

    codes = np.concatenate([gram(_BIGRAM, s[:-1], s[1:], bi), gram(_SKIPGRAM, c[:-2], c[2:], skip),
                            gram(_WHOLE, c, None, whole)])
    owners = np.concatenate([owner[:-1][bi], owner[:-2][skip], owner[whole]])
    return codes, owners


def _gram_postings(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict[int, tuple[int, int]], np.ndarray]:
    """{gram code: (start, end)} into one array of record indexes (int32) sorted by gram, then by record, from
    the `_gram_codes` of consecutive parts of the registry in order (emptied here)."""
    codes = np.concatenate([c for c, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    owners = np.concatenate([o for _, o in parts]) if parts else np.zeros(0, dtype=np.int32)
    parts.clear()
    order = np.argsort(codes, kind="stable")  # owners stay ascending within each gram
    codes, owners = codes[order], owners[order]
    del order
    keep = np.ones(len(codes), dtype=bool)  # a gram twice in one name is posted once
    keep[1:] = (codes[1:] != codes[:-1]) | (owners[1:] != owners[:-1])
    codes, owners = codes[keep], owners[keep]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, dtype=np.int64)
    ends = np.r_[starts[1:], len(codes)]
    return dict(zip(codes[starts].tolist(), zip(starts.tolist(), ends.tolist()))), owners


def _key_hashes(cores: Sequence[str], forms: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each spelling key (equal keys, equal hashes; a lookup checks the key itself)."""
    return np.fromiter(map(hash, _spelling_keys(cores, forms)), dtype=np.int64, count=len(cores))


class Strings:
    """A list of strings held as one string and the offsets where each ends: a Python string per firm costs
    about 60 bytes beyond its characters, so a 250,000-firm registry's names, codes and cores take a quarter of
    the memory. `optional`: an empty string reads back as None."""

    __slots__ = ("_text", "_ends", "_optional")

    def __init__(self, items: Iterable[str] = (), optional: bool = False):
        self._text, self._ends, self._optional = "", array("q"), optional
        self.extend(items)

    def extend(self, items: Iterable[str | None]) -> None:
        items = [item or "" for item in items]
        end = self._ends[-1] if self._ends else 0
        for item in items:
            end += len(item)
            self._ends.append(end)
        self._text += "".join(items)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if type(i) is not int:
            if isinstance(i, slice):
                return self._slice(i)
            i = operator.index(i)
        ends = self._ends
        if i < 0:
            i += len(ends)
        text = self._text[ends[i - 1] if i else 0:ends[i]]
        return (text or None) if self._optional else text

    def take(self, indexes: Iterable[int]) -> list:
        """The items at these (non-negative) positions, in that order."""
        text, ends = self._text, self._ends
        items = [text[ends[i - 1] if i else 0:ends[i]] for i in indexes]
        return [item or None for item in items] if self._optional else items

    def _slice(self, part: slice) -> list:
        start, stop, step = part.indices(len(self._ends))
        if step != 1:
            return [self[j] for j in range(start, stop, step)]
        if stop <= start:
            return []
        bounds = [self._ends[start - 1] if start else 0, *self._ends[start:stop]]
        text = self._text
        items = [text[a:b] for a, b in pairwise(bounds)]
        return [item or None for item in items] if self._optional else items

    def __iter__(self):
        return (self[i] for i in range(len(self._ends)))

    def lengths(self) -> np.ndarray:
        ends = np.frombuffer(self._ends, dtype=np.int64) if self._ends else np.zeros(0, dtype=np.int64)
        return np.diff(ends, prepend=0).astype(np.int32)


@dataclass(slots=True)
class Candidate:
    ref: Hashable
    name: str
    uscc: str | None
    score: float
    edits: int = 0      # characters changed between the written core and this firm's core


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
                 auto_threshold: float = DEFAULT_AUTO_THRESHOLD, review_threshold: float = DEFAULT_REVIEW_THRESHOLD,
                 typo_links: bool = True):
        self.auto_threshold = auto_threshold
        self.review_threshold = review_threshold
        self.typo_links = typo_links
        self.refs: list[Hashable] = []
        self.names, self.usccs = Strings(), Strings(optional=True)
        self.by_uscc: dict[str, int] = {}
        names: list[str] = []
        codes: list[str] = []
        for ref, code, name in records:
            code = _code(code)
            if code:
                self.by_uscc.setdefault(code, len(self.refs))
            self.refs.append(ref)
            names.append(name or "")
            codes.append(code)
            if len(names) == INDEX_CHUNK:
                self.names.extend(names)
                self.usccs.extend(codes)
                names, codes = [], []
        self.names.extend(names)
        self.usccs.extend(codes)
        del names, codes
        self.first_of_ref: dict[Hashable, int] = {}
        for i, ref in enumerate(self.refs):
            self.first_of_ref.setdefault(ref, i)
        self.aliases = dict(aliases or {})
        self._indexed = False  # the name index is built on the first name to match
        self.cores = Strings()
        self.forms: list[str] = []

    def _build_index(self) -> None:
        """Cores as one string, forms as a list; everything else as arrays (a 250,000-firm registry in tens of MB):
        spelling keys as sorted hashes, sounds and shapes recomputed for the candidates being scored."""
        paused = gc.isenabled()
        gc.disable()  # many small objects at once: collection passes would only slow this down
        try:
            self.cores, self.forms, parts, hash_parts = Strings(), [], [], []
            for start in range(0, len(self.names), INDEX_CHUNK):  # a chunk's sounds at a time, not every firm's
                cores, forms, sounds, _ = parse_many(self.names[start:start + INDEX_CHUNK])
                parts.append(_gram_codes(cores, sounds, start))
                hash_parts.append(_key_hashes(cores, forms))
                self.cores.extend(cores)
                self.forms += forms
                del cores, forms, sounds
            hashes = np.concatenate(hash_parts) if hash_parts else np.zeros(0, dtype=np.int64)
            del hash_parts
            self._key_order = np.argsort(hashes, kind="stable").astype(np.int32)
            self._key_hashes = hashes[self._key_order]
            del hashes
            self._form_ids = np.array([_CLASS_ID[f] for f in self.forms], dtype=np.int8)
            self._lengths = self.cores.lengths()
            self._grams, self._owners = _gram_postings(parts)
            del parts
            self._ref_ids = np.fromiter((self.first_of_ref[ref] for ref in self.refs), dtype=np.int32,
                                        count=len(self.refs))
        finally:
            if paused:
                gc.enable()
        self._indexed = True

    def _same_many(self, cores: Sequence[str], forms: Sequence[str]) -> list[list[int]]:
        """For each (core, form): the records with that very spelling key, in registry order."""
        if not self._indexed:
            self._build_index()
        hashes = _key_hashes(cores, forms)
        lo = np.searchsorted(self._key_hashes, hashes, side="left").tolist()
        hi = np.searchsorted(self._key_hashes, hashes, side="right").tolist()
        out = []
        for core, form, a, b in zip(cores, forms, lo, hi):
            if a == b:
                out.append([])
                continue
            found = sorted(i for i in self._key_order[a:b].tolist() if self.cores[i] == core and self.forms[i] == form)
            out.append(found)
        return out

    def __len__(self) -> int:
        return len(self.refs)

    def _candidate(self, i: int, score: float, edits: int = 0) -> Candidate:
        return Candidate(self.refs[i], self.names[i], self.usccs[i], round(score, 1), edits)

    def _spans(self, parts: NameParts) -> list[tuple[int, int]]:
        """(start, length) of the postings one name reads: rarest grams first, within POSTING_CAP / SCAN_BUDGET."""
        if not self._indexed:
            self._build_index()
        spans = sorted((end - start, start) for start, end in
                       (self._grams[g] for g in _query_grams(parts.core, parts.sound) if g in self._grams))
        out, scanned = [], 0
        for n, (length, start) in enumerate(spans):
            if n >= 2 and (length > POSTING_CAP or scanned + length > SCAN_BUDGET):
                break
            out.append((start, min(length, SCAN_BUDGET)))
            scanned += length
        return out

    def _scored_many(self, queries: list[NameParts]) -> list[list[tuple[float, int, int, float]]]:
        """For each name, (score, record index, edits, weighted edits) of its candidates, best first, one per firm.

        Candidates: records with the same key, and the CANDIDATES records sharing the most rare grams. All names'
        candidates are counted, gathered and scored together in arrays (rapidfuzz's pairwise cpdist), so the cost
        per name is a few dictionary look-ups, not a Python loop over candidates."""
        if not self._indexed:
            self._build_index()
        n_records = len(self.cores)
        span_q, span_start, span_len = [], [], []
        for q, parts in enumerate(queries):
            for start, length in self._spans(parts):
                span_q.append(q)
                span_start.append(start)
                span_len.append(length)
        lengths = np.array(span_len, dtype=np.int64)
        total = int(lengths.sum()) if len(lengths) else 0
        offsets = np.repeat(np.array(span_start, dtype=np.int64) - (np.cumsum(lengths) - lengths), lengths)
        owners = self._owners[offsets + np.arange(total)]
        keys, counts = np.unique(np.repeat(np.array(span_q, dtype=np.int64), lengths) * n_records + owners,
                                 return_counts=True)
        pair_q, pair_i = keys // n_records, keys % n_records
        order = np.lexsort((pair_i, -counts, pair_q))  # by name, most shared grams first
        pair_q, pair_i = pair_q[order], pair_i[order]
        first = np.searchsorted(pair_q, pair_q)  # where each name's run starts
        keep = np.arange(len(pair_q)) - first < CANDIDATES
        pair_q, pair_i = pair_q[keep], pair_i[keep]
        same_lists = self._same_many([p.core for p in queries], [p.form for p in queries])
        same = [(q, i) for q, found in enumerate(same_lists) for i in found]
        if same:
            pair_q = np.concatenate([pair_q, np.array([q for q, _ in same], dtype=np.int64)])
            pair_i = np.concatenate([pair_i, np.array([i for _, i in same], dtype=np.int64)])
            pair_q, pair_i = np.divmod(np.unique(pair_q * n_records + pair_i), n_records)
        out: list[list[tuple[float, int, int, float]]] = [[] for _ in queries]
        if not len(pair_q):
            return out
        q_list, i_list = pair_q.tolist(), pair_i.tolist()

        their_cores = self.cores.take(i_list)
        joined = "\n".join(their_cores)
        their_sounds = _translated(joined, _SOUND_LUT).split("\n")
        their_shapes = _translated(joined, _SHAPE_LUT).split("\n")
        del joined

        def pairwise(mine: list[str], theirs: list[str]) -> np.ndarray:
            return process.cpdist([mine[q] for q in q_list], theirs, scorer=OSA.distance, dtype=np.int32)

        by_char = pairwise([p.core for p in queries], their_cores)
        cost = _cost(by_char, pairwise([p.sound for p in queries], their_sounds),
                     pairwise([p.shape for p in queries], their_shapes))
        del their_cores, their_sounds, their_shapes
        q_lengths = np.array([len(p.core) for p in queries], dtype=np.int64)[pair_q]
        longest = np.maximum(np.maximum(self._lengths[pair_i], q_lengths), 1)
        q_forms = np.array([_CLASS_ID[p.form] for p in queries], dtype=np.int64)[pair_q]
        scores = np.maximum(0.0, 100.0 * (1.0 - cost / longest)
                            - _PENALTY_MATRIX[q_forms, self._form_ids[pair_i].astype(np.int64)])
        order = np.lexsort((pair_i, -scores, pair_q))  # by name, best first; equal scores in registry order
        _, firsts = np.unique(pair_q[order] * n_records + self._ref_ids[pair_i[order]].astype(np.int64),
                              return_index=True)
        order = order[np.sort(firsts)]  # one line per firm: its best record
        for q, i, score, edits, weighted in zip(pair_q[order].tolist(), pair_i[order].tolist(),
                                                scores[order].tolist(), by_char[order].tolist(),
                                                cost[order].tolist()):
            out[q].append((score, i, edits, weighted))
        return out

    def _scored(self, parts: NameParts) -> list[tuple[float, int, int, float]]:
        return self._scored_many([parts])[0]

    def rank(self, name: str, limit: int = 5) -> list[Candidate]:
        """Up to `limit` candidates for a name, best first, one per firm (ref)."""
        return [self._candidate(i, score, edits) for score, i, edits, _ in self._scored(parse(name))[:limit]]

    def _other_firm(self, core: str, i: int, edits: int) -> str:
        """Why record i is another firm than the written core, or "" when it may be the same."""
        words = word_difference(core, self.cores[i])
        if words:
            return f"与已登记的{self.names[i]}相差“{'、'.join(sorted(words))}”，按另一家企业处理"
        if edits == 1 and not plausible_slip(core, self.cores[i]):
            return f"与已登记的{self.names[i]}字号不同，按另一家企业处理"
        return ""

    def resolve(self, name: str, uscc: str | None = None) -> Resolution:
        parts = parse(name)
        code = _code(uscc)
        return self._known(code, parts) or self._same_spelling(code, self._same_many([parts.core], [parts.form])[0]) \
            or self._decide(code, parts, self._scored(parts))

    def resolve_many(self, rows: Iterable[tuple[str, str | None]]) -> list[Resolution]:
        """`resolve` for many (name, uscc) rows: a registered code first (most rows of a list: their names are
        not parsed), the other names parsed in one pass and their candidates scored together."""
        rows = list(rows)
        out: list[Resolution | None] = []
        candidate = self._candidate
        rest: list[tuple[int, str, str]] = []
        for n, ((name, uscc), found) in enumerate(zip(rows, self.registered([uscc for _, uscc in rows]))):
            if found is not None:
                out.append(Resolution(AUTO, "uscc", 100.0, [candidate(found, 100.0)]))
            else:
                out.append(None)
                rest.append((n, _code(uscc), name or ""))
        if not rest:
            return out
        cores, forms, sounds, shapes = parse_many([name for _, _, name in rest])
        named: list[tuple[int, str, NameParts]] = []
        for (n, code, _), core, form, sound, shape in zip(rest, cores, forms, sounds, shapes):
            parts = NameParts(core, form, sound, shape)
            res = self._known(code, parts)
            out[n] = res
            if res is None:
                named.append((n, code, parts))
        pending: list[tuple[int, str, NameParts]] = []
        if named:  # the name index is built only when some name is to be matched
            same = self._same_many([p.core for _, _, p in named], [p.form for _, _, p in named])
            for (n, code, parts), found in zip(named, same):
                out[n] = self._same_spelling(code, found)
                if out[n] is None:
                    pending.append((n, code, parts))
        for start in range(0, len(pending), 2000):  # bounded arrays for a file of any length
            chunk = pending[start:start + 2000]
            for (n, code, parts), scored in zip(chunk, self._scored_many([parts for _, _, parts in chunk])):
                out[n] = self._decide(code, parts, scored)
        return out

    def registered(self, codes: Iterable[str | None]) -> list[int | None]:
        """For each code, the record registered under it (the first, as written or normalised), or None: such a
        row is that firm whatever its name says (`resolve_many` decides it so without reading the name)."""
        by_uscc = self.by_uscc
        return [by_uscc.get(_code(code)) if code else None for code in codes]

    def _known(self, code: str, parts: NameParts) -> Resolution | None:
        """USCC or remembered alias; None when the name must be looked at."""
        if code and code in self.by_uscc:
            return Resolution(AUTO, "uscc", 100.0, [self._candidate(self.by_uscc[code], 100.0)])
        alias = self.aliases.get(parts.key)
        if alias is not None and alias in self.first_of_ref:
            return Resolution(AUTO, "alias", 100.0, [self._candidate(self.first_of_ref[alias], 100.0)])
        return None

    def _same_spelling(self, code: str, same: list[int]) -> Resolution | None:
        """The very same spelling of one firm; None when candidates must be scored."""
        if same and len(same) == 1 and not (code and self.usccs[same[0]]):
            return Resolution(AUTO, "name", 100.0, [self._candidate(same[0], 100.0)])
        return None

    def _decide(self, code: str, parts: NameParts, scored: list[tuple[float, int, int, float]]) -> Resolution:
        note = ""
        if code:  # the row's code is registered nowhere: a firm registered under another code is another firm
            theirs = self.usccs.take([s[1] for s in scored])
            others = [s for s, their in zip(scored, theirs) if their and their != code]
            scored = [s for s, their in zip(scored, theirs) if not (their and their != code)]
            if others and (not scored or others[0][0] > scored[0][0]):
                note = f"名称相近的{self.names[others[0][1]]}信用代码不同，视为不同企业"
        candidates = [self._candidate(i, score, edits) for score, i, edits, _ in scored[:5]]
        if not scored or scored[0][0] < self.review_threshold:
            return Resolution(NEW, "", candidates[0].score if candidates else 0.0, candidates, note)
        top_score, top, top_edits, _ = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else -1.0
        slip = top_edits == 0 or plausible_slip(parts.core, self.cores[top])
        if top_score >= self.auto_threshold and runner_up <= top_score - AMBIGUITY_MARGIN and slip:
            return Resolution(AUTO, "name", top_score, candidates, note)
        if self.typo_links and top_edits == 1 and slip and len(self.cores[top]) >= TYPO_MIN_CORE \
                and form_penalty(parts.form, self.forms[top]) <= FORM_PENALTY_MISSING \
                and all(cost >= TYPO_CLEAR_COST and score <= top_score - TYPO_MARGIN
                        for score, _, _, cost in scored[1:]):
            return Resolution(AUTO, "name", top_score, candidates, note or "一字之差，且没有其他相近的企业")
        if not note and top_edits >= 1:  # every close firm differs by a word or by its 字号: another firm
            why = [self._other_firm(parts.core, i, edits) for score, i, edits, _ in scored
                   if score >= self.review_threshold]
            if all(why):
                return Resolution(NEW, "", top_score, candidates, why[0])
        if top_score >= self.auto_threshold and runner_up > top_score - AMBIGUITY_MARGIN:
            note = note or "有多家名称相近的企业"
        elif top_edits == 1 and len(scored) > 1 and self.typo_links:
            note = note or "一字之差，但还有其他相近的企业"
        return Resolution(REVIEW, "name", top_score, candidates, note)
