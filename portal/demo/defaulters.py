"""Demo defaulter entries: realistic names by surname frequency, persons and entities, all grounds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from publicity.lists.defaulters import EntryData
from publicity.lists.models import ListingGround
from publicity.lists.names import CREDIT_ALPHABET, credit_check_char
from publicity.record.models import PartyKind

# The commonest surnames with their approximate share of the population (per mille), after the
# 2020 census tables; the tail is spread over the rest.
SURNAMES = [
    ("王", 72),
    ("李", 70),
    ("张", 68),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 22),
    ("赵", 20),
    ("吴", 20),
    ("周", 19),
    ("徐", 16),
    ("孙", 15),
    ("马", 15),
    ("朱", 14),
    ("胡", 13),
    ("郭", 12),
    ("何", 11),
    ("林", 11),
    ("高", 11),
    ("罗", 10),
    ("郑", 9),
    ("梁", 8),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 7),
    ("韩", 7),
    ("邓", 7),
    ("冯", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("潘", 5),
    ("袁", 5),
    ("蔡", 4),
    ("蒋", 4),
    ("余", 4),
    ("于", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("魏", 4),
    ("苏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("卢", 4),
    ("姚", 3),
    ("沈", 3),
    ("钟", 3),
    ("姜", 3),
    ("崔", 3),
    ("谭", 3),
    ("陆", 3),
    ("范", 3),
    ("汪", 3),
    ("廖", 3),
    ("石", 3),
    ("金", 3),
    ("韦", 3),
    ("贾", 3),
    ("夏", 3),
    ("付", 3),
    ("方", 3),
    ("邹", 2),
    ("熊", 2),
    ("白", 2),
    ("孟", 2),
    ("秦", 2),
    ("邱", 2),
    ("侯", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("龙", 2),
    ("黎", 2),
    ("史", 2),
    ("陶", 2),
    ("贺", 2),
    ("毛", 2),
    ("郝", 2),
    ("顾", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("覃", 2),
    ("武", 2),
    ("钱", 2),
    ("戴", 2),
    ("严", 2),
    ("莫", 2),
    ("孔", 2),
    ("单", 1),
    ("解", 1),
    ("仇", 1),
    ("查", 1),
    ("翟", 1),
]
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国志红燕鹏飞宇凯延庆"
    "海波宁丹萍鑫浩然雪梅冬晨阳旭东林春雨亮成佳欣怡子涵梓轩俊峰秀英秀兰淑珍"
)
COMPANY_PLACES = ("夏津县", "德州市", "武城县", "平原县", "临清市", "聊城市", "济南市", "山东")
COMPANY_WORDS = [
    "恒泰",
    "鑫源",
    "瑞丰",
    "宏达",
    "金穗",
    "银河",
    "华信",
    "东升",
    "润丰",
    "永盛",
    "嘉禾",
    "万通",
    "中兴",
    "福顺",
    "盛世",
    "百川",
    "汇通",
    "天成",
    "隆昌",
    "祥和",
]
COMPANY_KINDS = (
    "商贸有限公司",
    "建筑工程有限公司",
    "棉业有限公司",
    "纺织有限公司",
    "农业专业合作社",
    "物流有限公司",
    "食品有限公司",
    "机械制造有限公司",
)
CIRCUMSTANCES = {
    ListingGround.ABLE_BUT_REFUSES: "有履行能力而拒不履行生效法律文书确定义务",
    ListingGround.OBSTRUCTS: "以暴力、威胁方法妨碍、抗拒执行",
    ListingGround.EVADES: "以隐匿、转移财产方法规避执行",
    ListingGround.ASSET_REPORT: "违反财产报告制度",
    ListingGround.RESTRICTION_BREACH: "违反限制消费令",
    ListingGround.SETTLEMENT_BREACH: "无正当理由拒不履行执行和解协议",
}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
AREAS = ("371427", "371402", "371428", "371481", "371581", "370102", "371426", "371423")


IMPORTED_SERIAL_START = 20001


def generate(count: int, *, seed: int, court_code: str, now: datetime) -> Iterator[tuple[EntryData, datetime]]:
    """``count`` entries with their publication times over the past five years."""
    rng = random.Random(f"defaulters-{seed}")
    surnames = [s for s, _ in SURNAMES]
    weights = [w for _, w in SURNAMES]
    grounds = list(ListingGround)
    ground_weights = [55, 5, 12, 20, 6, 2]
    for i in range(count):
        published = now - timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
        year = published.year
        ground = rng.choices(grounds, ground_weights)[0]
        unperformed = rng.randint(2_000, 3_000_000) * 100
        performed = 0 if rng.random() < 0.7 else rng.randint(1, unperformed // 100) * 100
        if rng.random() < 0.22:
            name = rng.choice(COMPANY_PLACES) + rng.choice(COMPANY_WORDS) + rng.choice(COMPANY_KINDS)
            body = "91" + rng.choice(AREAS) + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(9))
            data = EntryData(
                kind=PartyKind.ENTITY,
                name=name,
                id_number=body + credit_check_char(body),
                legal_representative=rng.choices(surnames, weights)[0] + rng.choice(GIVEN) + rng.choice(GIVEN),
                case_number="",
                basis_number="",
                basis_issuer="",
                obligation="",
                circumstance="",
                ground=ground,
                filed_on=date(year, 1, 1),
                unperformed_fen=unperformed,
                performed_fen=performed,
            )
        else:
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
            birth = date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28))
            body = f"{rng.choice(AREAS)}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
            check = "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
            data = EntryData(
                kind=PartyKind.PERSON,
                name=rng.choices(surnames, weights)[0] + given,
                id_number=body + check,
                sex=rng.choice(("male", "female")),
                case_number="",
                basis_number="",
                basis_issuer="",
                obligation="",
                circumstance="",
                ground=ground,
                filed_on=date(year, 1, 1),
                unperformed_fen=unperformed,
                performed_fen=performed,
            )
        filed = published.date() - timedelta(days=rng.randint(60, 400))
        data = EntryData(
            **{
                **data.__dict__,
                # Numbered past the register's own cases: an imported entry names a case the demo register
                # does not hold, so no closed case of the register appears still listed (record check).
                "case_number": f"（{filed.year}）{court_code}执{IMPORTED_SERIAL_START + i}号",
                "basis_number": f"（{filed.year - 1}）鲁1427民初{rng.randint(1, 9999)}号",
                "basis_issuer": "夏津县人民法院",
                "filed_on": filed,
                "obligation": f"给付申请执行人款项{(unperformed + performed) / 100:,.2f}元及利息",
                "circumstance": CIRCUMSTANCES[ground],
            }
        )
        yield data, published
