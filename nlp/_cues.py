"""Hand-written commerce cues for the lexicon baseline, in Chinese and English.

General lexicons (HowNet, VADER) miss shop-floor idioms: "好评" and "五星" are
not in HowNet, "退货了" is a complaint without a single negative word, and
"works great" only scores on "great". These lists close that gap, and the
topic rules map aspect words onto the default taxonomy (shared/TAXONOMY.md).

Valences use the lexicons' scale (about 1 for a plain "good"/"好").
Chinese cues match as substrings, English cues as whole words; longer cues
win over shorter ones they contain ("不好用" over "好用").
"""

from __future__ import annotations

# -- sentiment cues -----------------------------------------------------------------

ZH_CUES: dict[str, float] = {
    # verdicts and ratings
    "再好不过": 2.0, "宝贝": 0.0, "好评": 2.0, "五星": 2.0, "5星": 2.0, "满分": 1.5, "点赞": 1.5, "推荐": 1.0,
    "回购": 1.5, "会再来": 1.5, "还会再": 1.5, "下次还": 1.2, "无限回购": 2.0,
    "差评": -2.0, "一星": -1.5, "1星": -1.5, "零分": -2.0, "不推荐": -1.5,
    "再也不": -1.8, "再也不会": -2.0, "不会再": -1.5, "后悔": -1.5, "上当": -1.8,
    "垃圾": -2.0, "坑": -1.5, "骗": -1.5, "忽悠": -1.5, "无语": -1.5, "呵呵": -1.0,
    "失望": -1.5, "郁闷": -1.2, "恶心": -1.5, "气人": -1.5, "坑爹": -2.0,
    "投诉": -1.2, "退货了": -1.5, "已退货": -1.5, "退了": -1.0, "要求退款": -1.5,
    "不满意": -1.5, "太差": -2.0, "很差": -2.0, "极差": -2.5, "超差": -2.0,
    # single characters HowNet drops or gets wrong out of context
    "好": 1.0, "棒": 1.5, "赞": 1.5, "爱": 1.0, "香": 0.8, "快": 0.8, "值": 0.8,
    "差": -1.3, "慢": -1.0, "烂": -1.5, "臭": -1.2, "贵": -0.8, "破": -0.8, "脏": -1.2,
    "旧": -0.8, "假": -1.2, "坏": -1.2, "吵": -1.0, "累": -0.5, "亏": -1.0,
    # everyday praise and blame
    "不错": 1.2, "挺好": 1.2, "很好": 1.3, "非常好": 1.8, "满意": 1.2, "喜欢": 1.2,
    "好用": 1.2, "实用": 1.0, "超值": 1.5, "划算": 1.2, "实惠": 1.2, "便宜": 0.8,
    "物美价廉": 1.8, "性价比高": 1.5, "性价比很高": 1.8, "物超所值": 1.8, "值得": 1.0,
    "正品": 1.0, "好闻": 1.2, "清香": 1.0, "舒服": 1.2, "舒适": 1.2, "方便": 1.0,
    "清爽": 1.0, "滋润": 1.0, "保湿": 0.8, "补水": 0.6, "温和": 1.0, "细腻": 1.0,
    "服帖": 1.0, "吸收": 0.5, "好吸收": 1.2, "不油腻": 1.0, "不粘": 0.8, "惊喜": 1.5,
    "新鲜": 1.0, "好吃": 1.5, "好喝": 1.5, "流畅": 1.0, "清晰": 1.0, "精致": 1.0,
    "结实": 1.0, "耐用": 1.0, "给力": 1.5, "完美": 1.8, "漂亮": 1.2, "好看": 1.2,
    "贴心": 1.2, "热情": 1.0, "耐心": 1.0, "周到": 1.0, "及时": 0.8, "准时": 0.8,
    "神速": 1.5, "迅速": 1.0, "很快": 1.0, "完好": 1.0, "严实": 1.0, "无损": 0.8,
    "还行": 0.4, "还可以": 0.4, "可以": 0.3, "凑合": -0.3, "一般": -0.6, "一般般": -0.8,
    "不怎么样": -1.2, "不咋地": -1.2, "不好用": -1.5, "难用": -1.5, "没用": -1.5,
    "没效果": -1.5, "没什么效果": -1.5, "没有效果": -1.5, "没啥效果": -1.5,
    "不值": -1.5, "不划算": -1.2, "太贵": -1.2, "偏贵": -0.8, "有点贵": -0.6,
    "坏了": -1.5, "破损": -1.5, "破了": -1.5, "漏液": -1.5, "漏了": -1.5, "碎了": -1.5,
    "掉色": -1.2, "起球": -1.2, "开线": -1.2, "异味": -1.2, "难闻": -1.5, "刺鼻": -1.5,
    "过敏": -1.5, "刺痛": -1.2, "长痘": -1.2, "闷痘": -1.2, "油腻": -1.0, "假货": -2.0,
    "山寨": -1.5, "过期": -1.5, "色差": -1.0, "发错": -1.5, "少发": -1.5, "漏发": -1.5,
    "不符": -1.2, "不一样": -0.6, "不对": -0.8, "卡顿": -1.2, "死机": -1.5, "闪退": -1.5,
    "发热": -0.6, "发烫": -1.0, "噪音": -1.0, "不回复": -1.5, "不理": -1.2, "爱理不理": -1.8,
    "态度差": -1.8, "态度恶劣": -2.0, "敷衍": -1.5, "推脱": -1.2, "不耐用": -1.5,
    "麻烦": -0.8, "太慢": -1.5, "好慢": -1.5, "很慢": -1.2, "延迟": -0.8, "丢件": -1.5,
    "没收到": -1.2, "还没到": -1.0, "不新鲜": -1.5, "烂了": -1.8, "变质": -1.8, "不好": -1.2,
    "问题": -0.6, "毛病": -1.0, "故障": -1.2, "缺点": -0.6, "不足": -0.5,
    "水润": 1.0, "湿润": 0.8, "水嫩": 1.0, "润润": 0.8, "柔滑": 1.0, "顺滑": 1.0,
    "干燥": -0.8, "有点干": -0.6, "很干": -1.0, "拔干": -1.0, "起皮": -1.0, "掉粉": -1.0,
    "卡粉": -1.0, "浮粉": -1.0, "紧绷": -0.8, "有点油": -0.6, "很油": -1.0, "红肿": -1.5,
    "痒": -1.0, "酒精味": -0.8, "不干净": -1.2, "没得说": 1.5, "没的说": 1.5, "迫不及待": 0.8, "慎重": -1.0,
    "谨慎": -0.8, "松动": -1.0, "摆设": -1.0, "轻薄": 0.8, "辛苦了": 0.5, "还没用": 0.0,
    "没用过": 0.0, "还没有用": 0.0, "还没试": 0.0, "没拆": 0.0, "有点小": -0.6, "偏小": -0.6, "偏大": -0.6, "太小": -0.8,
    "太大": -0.8, "不合适": -1.0, "合适": 0.8, "合身": 1.0, "正好": 0.8,
}

EN_CUES: dict[str, float] = {
    "works great": 2.0, "works well": 1.6, "works perfectly": 2.0, "works fine": 1.2,
    "highly recommend": 2.0, "would recommend": 1.5, "five stars": 2.0, "5 stars": 2.0,
    "well made": 1.5, "good quality": 1.5, "high quality": 1.5, "great quality": 2.0,
    "worth the money": 1.5, "worth every penny": 2.0, "worth it": 1.2, "value for money": 1.0,
    "as described": 1.0, "as pictured": 1.0, "as advertised": 1.0, "fits perfectly": 1.5,
    "fast shipping": 1.5, "quick delivery": 1.5, "arrived quickly": 1.2, "arrived early": 1.2,
    "on time": 0.8, "easy to use": 1.5, "easy to set up": 1.5, "love it": 2.0, "sturdy": 1.0,
    "waste of money": -2.5, "waste of time": -2.0, "do not buy": -2.5, "don't buy": -2.5,
    "stopped working": -2.0, "quit working": -2.0, "stop working": -1.8, "fell apart": -2.0,
    "broke": -1.5, "broken": -1.5, "defective": -2.0, "doa": -2.0, "junk": -2.0,
    "piece of junk": -2.5, "piece of crap": -2.5, "rip off": -2.0, "ripoff": -2.0,
    "scam": -2.0, "poor quality": -2.0, "cheaply made": -1.8, "flimsy": -1.5,
    "never arrived": -2.0, "never received": -2.0, "arrived broken": -2.0,
    "arrived damaged": -2.0, "wrong item": -1.8, "missing": -1.0, "not as described": -2.0,
    "overpriced": -1.5, "too expensive": -1.2, "one star": -1.8, "1 star": -1.8,
    "returned it": -1.5, "return it": -1.0, "sent it back": -1.5, "refund": -0.6,
    "hard to use": -1.5, "difficult to": -1.0, "leaking": -1.5, "leaked": -1.5,
    "counterfeit": -2.0, "fake": -1.8, "knock-off": -1.8, "knockoff": -1.8, "expired": -1.5,
    "runs small": -0.8, "runs large": -0.8, "too small": -1.0, "too big": -1.0,
    "charged twice": -1.8, "never replied": -1.8, "no response": -1.5, "rude": -1.8,
    "unhelpful": -1.5, "disappointed": -1.8, "disappointing": -1.8, "beware": -1.5,
    "avoid": -1.2, "crashes": -1.5, "crashed": -1.5, "keeps crashing": -2.0,
    "fast": 0.8, "quick": 0.8, "quickly": 0.8, "slow": -1.0, "late": -1.0, "cheap": 0.3,
    "uncomfortable": -1.5, "comfortable": 1.2, "exactly what i wanted": 2.0,
}

#: Words general lexicons score but shop reviews use neutrally ("东西" is "thing",
#: not a negative word; "知道", "容易", "明显" carry no verdict by themselves).
ZH_NEUTRAL = frozenset(
    "东西 知道 容易 根本 真心 活动 清楚 明显 解决 必须 正常 自动 保护 申请 实际 怎样 不管 "
    "突然 似乎 明明 确定 完成 通知 中心 承诺 说好 宁愿 默认 免费 生产 恢复 激活 气味 味道 "
    "宝贝 产品 商品 但愿 不可 相反 背后 如今 同意 中心 典型 运气 搜索 限制 多余 差别 差异".split()
)

# -- modifiers ------------------------------------------------------------------------

#: Negators and how much of the valence survives, flipped ("不太好" is only mildly bad).
ZH_NEGATORS: dict[str, float] = {
    "不": 0.8, "没": 0.8, "没有": 0.8, "别": 0.8, "无": 0.8, "未": 0.8, "不是": 0.8,
    "并不": 0.8, "并没有": 0.8, "从不": 0.9, "从没": 0.9, "绝不": 1.0, "毫无": 1.0,
    "不会": 0.8, "不能": 0.8, "不用": 0.6, "木有": 0.8, "非": 0.6, "没什么": 0.8,
    "不太": 0.5, "不怎么": 0.5, "不够": 0.6, "不算": 0.5, "不大": 0.5, "不是很": 0.5,
    "一点也不": 1.0, "一点都不": 1.0, "完全不": 1.0, "都不": 0.8, "也不": 0.8,
}
EN_NEGATORS: dict[str, float] = {
    "not": 0.8, "no": 0.8, "never": 0.9, "n't": 0.8, "hardly": 0.6, "barely": 0.6,
    "without": 0.7, "nothing": 0.7, "nor": 0.8, "neither": 0.8, "cannot": 0.8,
    "dont": 0.8, "doesnt": 0.8, "didnt": 0.8, "isnt": 0.8, "wasnt": 0.8, "wont": 0.8,
    "cant": 0.8, "arent": 0.8, "werent": 0.8, "couldnt": 0.8, "wouldnt": 0.8,
}

#: Degree adverbs -> multiplier; HowNet's multi-character ones are added at load time.
ZH_DEGREE: dict[str, float] = {
    "很": 1.5, "太": 1.6, "超": 1.6, "极": 2.0, "最": 1.8, "真": 1.4, "挺": 1.2, "蛮": 1.2,
    "特": 1.5, "巨": 1.8, "贼": 1.6, "较": 1.2, "更": 1.3, "还": 1.0,
    "有点": 0.6, "有些": 0.6, "稍微": 0.6, "略": 0.6, "比较": 1.2, "非常": 1.8,
    "特别": 1.7, "十分": 1.8, "相当": 1.5, "超级": 1.8, "真的": 1.4, "实在": 1.5,
}
EN_DEGREE: dict[str, float] = {
    "very": 1.5, "really": 1.4, "so": 1.4, "extremely": 1.8, "super": 1.6, "too": 1.3,
    "totally": 1.5, "absolutely": 1.7, "completely": 1.6, "highly": 1.5, "quite": 1.2,
    "pretty": 1.2, "incredibly": 1.8, "most": 1.5, "slightly": 0.6, "somewhat": 0.6,
    "kinda": 0.6, "little": 0.7, "bit": 0.7, "fairly": 0.9,
}

#: Words that open a clause weighing more than what came before ("A, but B").
#: "不过" is no contrast in "再好不过了" or "只不过"; "但" none in "但愿" or "不但".
CONTRAST_PATTERN = (
    r"(?<![只再好最])不过(?![了啦呀]|$)|但是|可是|然而|只是|可惜|(?<!不)但(?!愿)|"
    r"\b(?:but|however|though|except|unfortunately)\b"
)
#: Words that open a clause weighing less than what follows ("although A, B").
CONCESSIVE_PATTERN = r"虽然|虽说|尽管|\b(?:although|even though|while)\b"

#: Clauses that anticipate rather than judge ("期待效果", "用了再追评", "hope it
#: lasts"): they name an aspect without an opinion on it, so they yield no topic.
IRREALIS_PATTERN = (
    r"期待|不知道|不知|试试|看看效果|追评|再评|再来评|再评价|用后再|还没用|还没试|还没开始用|"
    r"\b(?:hope|hopefully|will see|we'll see|can't wait|cannot wait)\b"
)

# -- topic rules ----------------------------------------------------------------------

#: topic -> (Chinese regex, English regex); English is matched on lower-cased text
#: with word boundaries added around the alternation.
TOPIC_CUES: dict[str, tuple[str, str]] = {
    "logistics": (
        r"物流|快递|发货|到货|收到货|送货|配送|派送|派件|送到|送来|运输|顺丰|圆通|中通|申通|"
        r"韵达|邮政|EMS|ems|速度快|速度很快|速度超快|很快就到|第二天就到|隔天就到|快递员|丢件|签收",
        r"shipping|shipped|ships|delivery|delivered|deliver|courier|arrived|arrive|arrival|"
        r"tracking|transit|package came|came quickly|ups|fedex|usps|dhl|never received",
    ),
    "packaging": (
        r"包装|盒子|外盒|纸盒|包装盒|塑料袋|泡沫|气泡膜|封口|漏液|漏了|瓶子|瓶身|密封|外包装|礼盒",
        r"packaging|packaged|packed|package was|box was|the box|bubble wrap|wrapping|"
        r"sealed|seal|leaking|leaked|crushed",
    ),
    "quality": (
        r"质量|品质|做工|材质|用料|坏了|破损|耐用|效果|功效|保湿|补水|美白|提亮|显白|遮瑕|遮暇|"
        r"祛痘|控油|去油|卸妆|卸得|清洁力|清洁能力|洗得干净|毛孔|去屑|止痒|防晒|持久|"
        r"味道|气味|香味|好闻|难闻|异味|清香|香|臭|新鲜|变质|口感|好吃|好喝|成分|生产日期|"
        r"不好用|(?<!还)没用(?!过)|没效果|掉色|起球|开线|音质|画质|电池|续航|性能|信号|质感",
        r"quality|defect|defective|broke|broken|stopped working|quit working|durable|"
        r"sturdy|flimsy|material|cheaply made|well made|fell apart|smell|smells|taste|"
        r"tastes|fresh|stale|battery|sound|screen|works great|works well|performance",
    ),
    "not_as_described": (
        r"描述不符|与描述|和描述|跟描述|图片不|和图片|与图片|跟图片|实物|色差|发错|错发|"
        r"少发|漏发|少了|缺少|少配件|不是我买的|货不对板",
        r"as described|not as pictured|as pictured|as advertised|wrong item|wrong color|"
        r"wrong size sent|missing|different from|not what i ordered|looks nothing like",
    ),
    "authenticity": (
        r"正品|真品|假货|假的|仿品|山寨|高仿|冒牌|真假|过期|临期|防伪|专柜|验货|官方旗舰",
        r"genuine|authentic|fake|counterfeit|knock-off|knockoff|expired|not original|original",
    ),
    "size_fit": (
        r"尺码|尺寸|码数|偏大|偏小|太大|太小|太紧|太松|合身|大小|容量|分量|个头|"
        r"长度|宽度|号码|大一码|小一码",
        r"size|sizing|fit|fits|fitting|runs small|runs large|too big|too small|too tight|"
        r"too loose|dimensions",
    ),
    "price": (
        r"价格|价钱|价位|性价比|便宜|实惠|划算|超值|物超所值|物美价廉|(?<!宝)(?<!珍)贵|"
        r"优惠|降价|涨价|活动价|打折|折扣|券|满减|运费|邮费|包邮|钱|值得|不值|划不来",
        r"price|priced|pricing|cheap|cheaper|expensive|overpriced|value|worth|money|"
        r"coupon|discount|promo|deal|shipping fee|shipping cost|postage|paid",
    ),
    "customer_service": (
        r"客服|服务|态度|回复|回应|售前|热情|解答|沟通|小二|店主|掌柜",
        r"customer service|service|support|seller|staff|agent|rude|helpful|responsive|"
        r"replied|reply|respond|responded|response",
    ),
    "returns_refunds": (
        r"退货|退款|换货|退换|保修|维修|售后|退了|退回|包退|补发|无理由",
        r"refund|refunds|refunded|return|returned|returning|exchange|warranty|repair|"
        r"replacement|send it back|sent it back",
    ),
    "payment": (
        r"付款|支付|扣款|扣钱|发票|信用卡|花呗|分期|到账|重复扣|多扣|收费",
        r"payment|pay|paid twice|charged|charge|invoice|receipt|credit card|card declined|"
        r"declined|billing|billed",
    ),
    "usability": (
        r"上手|安装|说明书|操作|兼容|设置|组装|使用方便|用起来方便|麻烦|吸收|肤感|上脸|上妆|"
        r"服帖|油腻|不油|清爽|粘|黏|推开|涂抹|舒服|舒适|紧绷|卡粉|浮粉|温和|刺激|过敏|"
        r"滋润|水润|湿润|干燥|拔干|太干|很干|有点干|不干|顺滑|滑滑|细腻|轻薄|透气|柔软|水水|"
        r"水嫩|润润|柔滑|起皮|掉粉|贴合|红肿|痒|有点油|很油|太油|酒精味",
        r"easy to use|hard to use|set up|setup|instructions|manual|install|installation|"
        r"compatible|compatibility|controls|user friendly|intuitive|comfortable|uncomfortable",
    ),
    "app_website": (
        r"[Aa][Pp][Pp]|闪退|页面|网页|网站|下单失败|下不了单|无法下单|客户端|登录|登陆|账号|购物车|界面",
        r"app|website|site|web page|webpage|checkout|check out|log in|login|account|"
        r"notification|notifications|page|search",
    ),
}
