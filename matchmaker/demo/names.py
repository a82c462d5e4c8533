"""Realistic Chinese company names for demo data, tests and benchmarks (deterministic given a seed)."""
from __future__ import annotations

import random

REGIONS = ["枣庄", "山东", "枣庄市", "枣庄市市中区", "山东枣庄", ""]
CORES = [
    "鑫源", "华泰", "恒达", "永盛", "瑞丰", "金诺", "宏图", "泰和", "润德", "中兴", "鲁南", "东方", "海纳", "天成", "明远",
    "盛世", "汇通", "联创", "正大", "凯瑞", "信达", "嘉禾", "亿丰", "新华", "龙腾", "荣昌", "博远", "益康", "康达", "万福",
    "金鼎", "银河", "长城", "利民", "兴业", "安泰", "齐鲁", "青檀", "运河", "抱犊", "熊耳", "君山", "龙山", "光明", "文华",
    "德润", "宏达", "恒信", "聚丰", "祥瑞", "顺发", "永安", "晨光", "旭日", "华宇", "中科", "国泰", "和顺", "众诚", "佳和",
    "天元", "鼎盛", "新源", "创新", "科宇", "精工", "圣达", "威龙", "金泰", "盛华", "宝丰", "富源", "昌盛", "欣悦", "百川",
]
TRADES = {
    "new_materials": ["新材料科技", "高分子材料", "新型建材", "复合材料", "碳材料"],
    "water_treatment": ["水处理剂", "环保科技", "水处理技术", "净水材料", "化学品"],
    "textiles": ["纺织", "服装", "纺织服饰", "家纺", "制衣"],
    "health_devices": ["医疗器械", "医疗科技", "生物科技", "康复器材", "卫生材料"],
    "chemicals": ["化工", "精细化工", "化工科技", "化学"],
    "machinery": ["机械制造", "机械", "重工", "智能装备", "精密机械"],
    "food": ["食品", "农副产品加工", "粮油", "饮品"],
    "construction": ["建筑安装", "建材", "工程", "建设"],
    "agriculture": ["农业开发", "种植专业合作社", "生态农业", "果蔬"],
    "services": ["商贸", "物流", "供应链管理", "贸易"],
    "it": ["信息技术", "软件", "网络科技", "数据科技"],
    "other": ["实业", "发展", "科技"],
}
FORMS = ["有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司"]


def company_name(rng: random.Random, industry: str | None = None) -> tuple[str, str]:
    """A (name, industry) pair such as 枣庄鑫源新材料科技有限公司."""
    industry = industry or rng.choice(list(TRADES))
    core = rng.choice(CORES) + (rng.choice(CORES)[0] if rng.random() < 0.35 else "")
    return f"{rng.choice(REGIONS)}{core}{rng.choice(TRADES[industry])}{rng.choice(FORMS)}", industry


def unique_company_names(count: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    while len(out) < count:
        name, industry = company_name(rng)
        if name not in seen:
            seen.add(name)
            out.append((name, industry))
    return out


# --- A larger, registry-like name space and realistic spelling variants (entity-resolution tests, benchmarks) ---

BRAND_CHARS = "".join(dict.fromkeys(
    "鑫源华泰恒达永盛瑞丰金诺宏图和润德中兴鲁南东方海纳天成明远世汇通联创正大凯信嘉禾亿新龙腾荣昌博益康万福鼎银河"
    "长城利民业安齐青檀运光文旺顺发晨旭日宇科国众诚佳元精圣威宝富欣悦百川祥聚隆盈辉星耀峰豪伟俊景茂兰森林春秋美蓝"
    "铭晟昊洋浩卓越智慧力强捷京鸿鹏飞翔冠首尚品优励泽涛波清澄泉溪江湖山岳峻磊石岩玉珍迪蒙骏驰旋彩虹祺祯禧寿宁平合协"
    "同铸锋钢铁义仁礼开启皓琪瑾璟晖煜炜烨焱鑫淼森垚犇骐骥麟凤鹤松柏桦楠枫杉桐梓"))
EXTRA_TRADES = {
    "new_materials": ["新型材料", "材料科技", "新能源材料", "纳米材料"],
    "water_treatment": ["水务", "环境工程", "环保设备"],
    "textiles": ["织造", "针织", "服饰"],
    "health_devices": ["医药", "健康科技", "医用材料"],
    "chemicals": ["化工材料", "化学工业", "化工制品"],
    "machinery": ["机电", "机械设备", "自动化设备", "液压机械"],
    "food": ["食品科技", "面粉", "调味品", "肉制品"],
    "construction": ["建筑工程", "装饰工程", "混凝土", "路桥工程"],
    "agriculture": ["农业科技", "种养殖专业合作社", "花卉苗木", "石榴种植"],
    "services": ["商贸物流", "电子商务", "仓储", "汽车销售服务"],
    "it": ["电子科技", "智能科技", "信息科技", "通信技术"],
    "other": ["投资", "实业发展", "文化传媒"],
}
COMMON_CHARS = BRAND_CHARS + "".join(dict.fromkeys(
    "新心信欣馨芯星兴行型形源原元园圆远院员缘华化花话画划泰太态台达大答打恒衡横红宏鸿洪弘永勇用泳盛圣胜生升声"
    "瑞锐睿丰风峰锋封枫金今津锦进晋诺若宏图途土涂和合河荷禾润闰顺德得中忠众钟重兴鲁路露南楠男东冬动方芳放"
    "海还孩天田添成城诚程承明名鸣铭远材才财采科可客克技计记机基吉工公功供宫业叶页物务服福富复新心品平凭"))
_REGION_PREFIXES = sorted((r for r in REGIONS if r), key=len, reverse=True)
_FORM_SWAPS = {"有限责任公司": "有限公司", "有限公司": "有限责任公司"}
_WIDE = {ord(c): ord(c) + 0xFEE0 for c in "()ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}


def registry_names(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """Distinct firms as a district registry holds them: a brand (字号) is used at most once per trade."""
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    out = []
    while len(out) < count:
        industry = rng.choice(list(TRADES))
        trade = rng.choice(TRADES[industry] + EXTRA_TRADES[industry])
        size = 3 if rng.random() < 0.2 else 2
        brand = "".join(rng.choice(BRAND_CHARS) for _ in range(size))
        if (brand, trade) in seen or (brand, trade[:2]) in seen or brand.startswith("山东"):
            continue
        seen.add((brand, trade))
        seen.add((brand, trade[:2]))
        form = "专业合作社" if trade.endswith("专业合作社") else rng.choice(FORMS)
        trade = trade.removesuffix("专业合作社")
        out.append((f"{rng.choice(REGIONS)}{brand}{trade}{form}", industry))
    return out


def _split(name: str) -> tuple[str, str, str]:
    """(region prefix, core, form suffix) of a generated name."""
    region = next((r for r in _REGION_PREFIXES if name.startswith(r)), "")
    rest = name[len(region):]
    form = next((f for f in ("股份有限公司", "有限责任公司", "有限公司", "专业合作社") if rest.endswith(f)), "")
    return region, rest[: len(rest) - len(form)], form


def _homophone_index() -> dict[str, list[str]]:
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    def sound(ch: str) -> str:
        raw = pinyin_dict.get(ord(ch), "").split(",")[0]
        return "".join(c for c in unicodedata.normalize("NFD", raw) if not unicodedata.combining(c))

    by_sound: dict[str, list[str]] = {}
    for ch in COMMON_CHARS:
        if sound(ch):
            by_sound.setdefault(sound(ch), []).append(ch)
    return {ch: [o for o in by_sound.get(sound(ch), []) if o != ch] for ch in COMMON_CHARS if sound(ch)}


_HOMOPHONES: dict[str, list[str]] | None = None


def homophones(ch: str) -> list[str]:
    """Common characters with the same toneless pinyin (what a pinyin input method offers by mistake)."""
    global _HOMOPHONES
    if _HOMOPHONES is None:
        _HOMOPHONES = _homophone_index()
    return _HOMOPHONES.get(ch, [])


def homophone_typo(rng: random.Random, name: str) -> str | None:
    """One character of the core replaced by a homophone (the usual pinyin-input typo), or None if none fits."""
    region, core, form = _split(name)
    spots = [i for i, ch in enumerate(core) if homophones(ch)]
    if not spots:
        return None
    i = rng.choice(spots)
    return region + core[:i] + rng.choice(homophones(core[i])) + core[i + 1:] + form


def other_char_typo(rng: random.Random, name: str) -> str:
    """One brand character replaced by an unrelated one (a slip that is not a homophone)."""
    region, core, form = _split(name)
    i = rng.randrange(min(2, len(core)))
    sounds = set(homophones(core[i])) | {core[i]}
    new = rng.choice([c for c in BRAND_CHARS if c not in sounds])
    return region + core[:i] + new + core[i + 1:] + form


def spelling_variant(rng: random.Random, name: str) -> tuple[str, str]:
    """The same firm written as another department would: (variant, what changed)."""
    region, core, form = _split(name)
    kind = rng.choice(["region", "region", "bracket", "width", "space", "form", "homophone", "combo"])
    if kind == "homophone":
        typo = homophone_typo(rng, name)
        if typo:
            return typo, kind
        kind = "region"
    if kind == "form" and form not in _FORM_SWAPS:
        kind = "region"
    if kind == "region":
        return rng.choice([r for r in REGIONS if r != region]) + core + form, kind
    if kind == "bracket":
        return rng.choice(["", "山东"]) + core + rng.choice(["（枣庄）", "(枣庄)", "（市中区）"]) + form, kind
    if kind == "width":
        wide = (region + core).translate(_WIDE) + form
        return (wide if wide != name else name.replace("有限", "（枣庄）有限", 1).replace("（", "(").replace("）", ")")), kind
    if kind == "space":
        i = rng.randint(1, len(name) - 1)
        return name[:i] + rng.choice([" ", "\u3000", "  "]) + name[i:], kind
    if kind == "form":
        return region + core + _FORM_SWAPS[form], kind
    variant = rng.choice(["枣庄市", "山东省", "", "市中区"]) + core + _FORM_SWAPS.get(form, form)
    return (homophone_typo(rng, variant) if rng.random() < 0.4 else None) or variant, "combo"


def near_miss(rng: random.Random, name: str) -> str:
    """A different firm whose name looks close: a longer trade (化工 -> 化工科技) or another brand character."""
    region, core, form = _split(name)
    if rng.random() < 0.5:
        return region + core + rng.choice(["科技", "材料", "贸易", "设备", "集团"]) + form
    return other_char_typo(rng, name)
