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
