"""Realistic value pools: Chinese names, regions with their ID codes, stores, nicknames."""

from __future__ import annotations

from dataclasses import dataclass

#: Common surnames with their pinyin, roughly in order of frequency (the first ones are drawn
#: more often), then a few compound surnames.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("于", "yu"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("卢", "lu"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("钟", "zhong"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("汪", "wang"),
    ("范", "fan"),
    ("金", "jin"),
    ("石", "shi"),
    ("廖", "liao"),
    ("贾", "jia"),
    ("夏", "xia"),
    ("韦", "wei"),
    ("方", "fang"),
    ("白", "bai"),
    ("邹", "zou"),
    ("孟", "meng"),
    ("熊", "xiong"),
    ("秦", "qin"),
    ("邱", "qiu"),
    ("江", "jiang"),
    ("尹", "yin"),
    ("薛", "xue"),
    ("段", "duan"),
    ("雷", "lei"),
    ("侯", "hou"),
    ("龙", "long"),
    ("史", "shi"),
    ("陶", "tao"),
    ("黎", "li"),
    ("贺", "he"),
    ("顾", "gu"),
    ("毛", "mao"),
    ("郝", "hao"),
    ("龚", "gong"),
    ("邵", "shao"),
    ("万", "wan"),
    ("钱", "qian"),
    ("欧阳", "ouyang"),
    ("司马", "sima"),
    ("诸葛", "zhuge"),
    ("上官", "shangguan"),
)

GIVEN_MALE: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("斌", "bin"),
    ("超", "chao"),
    ("明", "ming"),
    ("刚", "gang"),
    ("平", "ping"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("华", "hua"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("波", "bo"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("旭", "xu"),
    ("宁", "ning"),
    ("龙", "long"),
    ("阳", "yang"),
    ("博", "bo"),
    ("文", "wen"),
    ("志", "zhi"),
    ("建", "jian"),
    ("国", "guo"),
    ("东", "dong"),
    ("海", "hai"),
    ("晨", "chen"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("睿", "rui"),
    ("泽", "ze"),
)

GIVEN_FEMALE: tuple[tuple[str, str], ...] = (
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("秀", "xiu"),
    ("玲", "ling"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("慧", "hui"),
    ("莹", "ying"),
    ("倩", "qian"),
    ("琳", "lin"),
    ("晶", "jing"),
    ("燕", "yan"),
    ("洁", "jie"),
    ("颖", "ying"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("梦", "meng"),
    ("佳", "jia"),
    ("雨", "yu"),
    ("璐", "lu"),
    ("思", "si"),
    ("涵", "han"),
    ("萱", "xuan"),
    ("月", "yue"),
    ("红", "hong"),
    ("梅", "mei"),
    ("兰", "lan"),
    ("英", "ying"),
    ("萍", "ping"),
    ("琪", "qi"),
)


@dataclass(frozen=True)
class City:
    province: str  # official name, e.g. 广东省
    province_short: str  # 广东
    city: str  # official name, e.g. 深圳市
    city_short: str  # 深圳
    store_prefix: str  # SZ
    id_codes: tuple[str, ...]  # county-level codes used as the first six ID digits
    weight: int  # relative share of members

    @property
    def is_municipality(self) -> bool:
        return self.province == self.city


CITIES: tuple[City, ...] = (
    City("北京市", "北京", "北京市", "北京", "BJ", ("110101", "110102", "110105", "110108"), 10),
    City("上海市", "上海", "上海市", "上海", "SH", ("310101", "310104", "310115"), 10),
    City("天津市", "天津", "天津市", "天津", "TJ", ("120101", "120104"), 4),
    City("重庆市", "重庆", "重庆市", "重庆", "CQ", ("500103", "500106"), 5),
    City("广东省", "广东", "广州市", "广州", "GZ", ("440103", "440106"), 8),
    City("广东省", "广东", "深圳市", "深圳", "SZ", ("440303", "440305"), 8),
    City("广东省", "广东", "佛山市", "佛山", "FS", ("440604",), 3),
    City("广东省", "广东", "东莞市", "东莞", "DG", ("441900",), 3),
    City("广东省", "广东", "珠海市", "珠海", "ZH", ("440402",), 1),
    City("浙江省", "浙江", "杭州市", "杭州", "HZ", ("330102", "330106"), 6),
    City("浙江省", "浙江", "宁波市", "宁波", "NB", ("330203",), 3),
    City("浙江省", "浙江", "温州市", "温州", "WZ", ("330302",), 2),
    City("江苏省", "江苏", "南京市", "南京", "NJ", ("320102",), 5),
    City("江苏省", "江苏", "苏州市", "苏州", "SU", ("320505",), 5),
    City("江苏省", "江苏", "无锡市", "无锡", "WX", ("320211",), 2),
    City("四川省", "四川", "成都市", "成都", "CD", ("510104",), 6),
    City("四川省", "四川", "绵阳市", "绵阳", "MY", ("510703",), 1),
    City("湖北省", "湖北", "武汉市", "武汉", "WH", ("420102",), 5),
    City("湖北省", "湖北", "宜昌市", "宜昌", "YC", ("420502",), 1),
    City("湖南省", "湖南", "长沙市", "长沙", "CS", ("430102",), 4),
    City("山东省", "山东", "济南市", "济南", "JN", ("370102",), 3),
    City("山东省", "山东", "青岛市", "青岛", "QD", ("370202",), 3),
    City("福建省", "福建", "福州市", "福州", "FZ", ("350102",), 2),
    City("福建省", "福建", "厦门市", "厦门", "XM", ("350203",), 2),
    City("河南省", "河南", "郑州市", "郑州", "ZZ", ("410102",), 3),
    City("陕西省", "陕西", "西安市", "西安", "XA", ("610102",), 3),
    City("辽宁省", "辽宁", "沈阳市", "沈阳", "SY", ("210102",), 2),
    City("辽宁省", "辽宁", "大连市", "大连", "DL", ("210202",), 2),
    City("广西壮族自治区", "广西", "南宁市", "南宁", "NN", ("450102",), 2),
    City("广西壮族自治区", "广西", "桂林市", "桂林", "GL", ("450302",), 1),
    City("内蒙古自治区", "内蒙古", "呼和浩特市", "呼和浩特", "HH", ("150102",), 1),
    City("云南省", "云南", "昆明市", "昆明", "KM", ("530102",), 2),
    City("安徽省", "安徽", "合肥市", "合肥", "HF", ("340102",), 2),
    City("河北省", "河北", "石家庄市", "石家庄", "SJ", ("130102",), 2),
    City("江西省", "江西", "南昌市", "南昌", "NC", ("360102",), 2),
    City("黑龙江省", "黑龙江", "哈尔滨市", "哈尔滨", "HB", ("230102",), 2),
    City("吉林省", "吉林", "长春市", "长春", "CC", ("220102",), 1),
    City("新疆维吾尔自治区", "新疆", "乌鲁木齐市", "乌鲁木齐", "WL", ("650102",), 1),
)

#: Province and city spellings that no alias table maps (REGION_UNMAPPED).
UNKNOWN_PROVINCES: tuple[str, ...] = ("火星", "海外", "其它地区")
UNKNOWN_CITIES: tuple[str, ...] = ("外星市", "海外城市", "未知区县")

#: Mobile prefixes in use (13x, 15x, 17x, 18x, 19x; a few reserved ones left out).
MOBILE_PREFIXES: tuple[str, ...] = (
    *(f"13{d}" for d in range(10)),
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "170",
    "171",
    "173",
    "175",
    "176",
    "177",
    "178",
    *(f"18{d}" for d in range(10)),
    "191",
    "193",
    "195",
    "196",
    "197",
    "198",
    "199",
)

#: The store's own number typed for walk-in customers (one value on many POS cards).
PLACEHOLDER_MOBILE = "13800000000"
#: The store's own address typed for walk-in mall accounts (one value on many accounts).
PLACEHOLDER_EMAIL = "vip@store.example.com"
#: The unionid of the store clerk's WeChat, bound to walk-in mall accounts (one value on many).
PLACEHOLDER_UNIONID = "o6_StoreClerkWeChat0000000000"

EMAIL_DOMAINS: tuple[str, ...] = (
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "gmail.com",
    "outlook.com",
    "foxmail.com",
    "139.com",
    "Example.com",
)

NICKNAMES: tuple[str, ...] = (
    "小王",
    "开心果",
    "阳光男孩",
    "爱吃鱼的猫",
    "Lucky",
    "Annie",
    "大强",
    "甜甜圈",
    "风一样的女子",
    "老张",
    "奋斗的小鸟",
    "晴天",
    "Coco",
    "Jason",
    "小确幸",
    "悠然",
    "花开半夏",
    "追梦人",
    "阿杰",
    "momo",
    "静待花开",
    "人间清醒",
    "干饭人",
    "小太阳",
    "Kevin",
    "Amy",
    "一只鱼",
    "清风徐来",
)

#: Characters outside the Basic Multilingual Plane: emoji and a CJK Extension B ideograph.
EMOJI: tuple[str, ...] = ("😀", "🌸", "👍", "🍰", "🎉", "💕", "🐱", "⭐", "🔥", "🌈", "𠮷")

#: Nicknames that exercise CSV quoting: embedded commas, double quotes, line breaks.
QUOTING_NICKNAMES: tuple[str, ...] = (
    "小王,爱购物",
    '"阿强"',
    "第一行\n第二行",
    'he said "hi", ok',
    "买买买\r\n省省省",
    "a,b,c",
)

CHANNELS: tuple[str, ...] = ("扫码", "公众号", "小程序", "朋友圈广告")

EXT_ATTR_VALUES: dict[str, tuple[str, ...]] = {
    "属性1": ("母婴", "美妆", "数码", "运动", "家居", "食品"),
    "vipTag": ("S", "A", "B", "C"),
    "兴趣偏好": ("美妆", "烘焙", "旅行", "健身", "阅读", "宠物"),
}
#: Keys the attribute mapping does not know (they keep their name).
EXT_ATTR_UNMAPPED: dict[str, tuple[str, ...]] = {
    "memberSource": ("store", "ad", "friend"),
    "来源门店": ("SH001", "BJ017", "GZ003"),
}
INVALID_EXT_ATTRS: tuple[str, ...] = (
    '{"属性1":"母婴"',
    "{属性1:母婴}",
    "[1,2,3]",
    '{"vipTag":"S",}',
    "vipTag=S",
    '"母婴"',
)

POS_TIERS: tuple[tuple[str, int], ...] = (
    ("普卡", 600),
    ("银卡", 200),
    ("金卡", 100),
    ("白金卡", 50),
    ("钻石卡", 20),
    ("VIP", 30),
)
POS_TIER_RANK = {"普卡": 1, "银卡": 2, "金卡": 3, "VIP": 3, "白金卡": 4, "钻石卡": 5}
POS_TIERS_UNMAPPED: tuple[str, ...] = ("黑卡", "员工卡", "体验卡")
MALL_LEVELS: tuple[tuple[str, int], ...] = (
    ("L1", 450),
    ("L2", 250),
    ("L3", 170),
    ("L4", 90),
    ("L5", 40),
)
MALL_LEVELS_UNMAPPED: tuple[str, ...] = ("L6", "L0", "SVIP")
WECHAT_LEVELS: tuple[tuple[str, int], ...] = (("V0", 550), ("V1", 280), ("V2", 120), ("V3", 50))
WECHAT_LEVELS_UNMAPPED: tuple[str, ...] = ("V9", "VX")

POS_STATUS_INVALID: tuple[str, ...] = ("X", "D", "9", "正常")
GENDER_UNMAPPED: dict[str, tuple[str, ...]] = {
    "pos": ("X", "男性", "2"),
    "mall": ("other", "secret"),
    "wechat": ("3", "9"),
}

CHANGE_TYPES_ZH = {
    "EARN": "积分获得",
    "REDEEM": "积分兑换",
    "EXPIRE": "积分过期",
    "ADJUST": "积分调整",
}
