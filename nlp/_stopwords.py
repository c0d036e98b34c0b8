"""Small stop-word lists for keyword extraction (not for search: queries keep every word)."""

EN_STOPWORDS = frozenset(
    """
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't
doing don't down during each few for from further get got had hadn't has hasn't have haven't
having he her here hers herself him himself his how i i'm if in into is isn't it it's its
itself just let's like me more most mustn't my myself no nor not now of off on once only or
other ought our ours ourselves out over own really same shan't she should shouldn't so some
such than that that's the their theirs them themselves then there there's these they they're
this those through to too under until up very was wasn't we we're were weren't what what's
when where which while who whom why will with won't would wouldn't you you're your yours
yourself yourselves also one two even still back much many thing things would will could
dont didnt doesnt cant wont isnt wasnt im ive its thats product item bought buy order ordered
""".split()
)

ZH_STOPWORDS = frozenset(
    """
的 了 是 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 这些 那些 就 都 也 还 又 很 太 非常 特别
比较 有点 一点 一下 一个 一些 没有 有 在 和 与 及 或 但 但是 而且 并且 因为 所以 如果 虽然 就是
不是 可以 还是 已经 不过 然后 感觉 觉得 什么 怎么 这么 那么 这样 那样 吧 吗 呢 啊 呀 哦 嗯 哈
哈哈 啦 嘛 么 着 过 给 把 被 让 对 从 到 向 上 下 里 中 后 前 时候 自己 东西 宝贝 商品 产品 买 购买
收到 一直 真的 真是 还有 之后 以后 以前 时间 一次 第一次 次 个 件 只 再 才 会 能 要 想 说 用 去 来
看 做 拿 好 不 没 无 多 少 大 小 亲 卖家 店家 掌柜 老板
""".split()
)
