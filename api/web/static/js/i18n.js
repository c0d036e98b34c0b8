// Interface strings in English and Chinese. The language comes from the browser
// (navigator.language) until the viewer switches; the choice is kept in localStorage.

const STORE = "voclens.lang";
const config = JSON.parse(document.getElementById("voclens-config").textContent);

const en = {
  "nav.search": "Search", "nav.trends": "Trends", "nav.emerging": "Emerging", "nav.digests": "Digests",
  "lang.switch": "中文", "error": "Error", "loading": "Loading…", "none": "Nothing found.", "any": "any",
  "json": "JSON", "json.title": "The same answer from the JSON API",
  "access.title": "This voclens needs an API key", "access.help": "Ask your administrator for a key (voclens keys create). It is kept for this browser tab only.",
  "access.key": "API key", "access.open": "Open", "access.invalid": "This key is not valid.",
  "access.signout": "Forget key", "access.readonly": "read-only", "access.expired": "The API refused the key; enter it again.",
  "f.q": "Query", "f.q.placeholder": "物流 慢, \"arrived broken\", brand:Voltra topic:logistics:negative …",
  "f.go": "Search", "f.brand": "Brand", "f.source": "Source", "f.channel": "Channel", "f.lang": "Language",
  "f.sentiment": "Sentiment", "f.topic": "Topic", "f.polarity": "Topic polarity", "f.since": "From", "f.until": "Before",
  "f.clear": "Clear", "f.list": "comma-separated", "colon": ": ",
  "syntax.title": "Query syntax", "syntax.both": "both terms", "syntax.phrase": "exact phrase", "syntax.not": "exclude",
  "syntax.or": "either term", "syntax.fields": "field filters", "syntax.labels": "labels, topic with its polarity",
  "syntax.ranges": "ranges (ISO dates)",
  "channel.review": "review", "channel.social": "social", "channel.ticket": "ticket", "channel.survey": "survey", "channel.other": "other",
  "lang.zh": "Chinese", "lang.en": "English", "lang.other": "other",
  "polarity.negative": "negative", "polarity.neutral": "neutral", "polarity.positive": "positive",
  "rating": "rating",
  "search.total": "{n} matches", "search.more": "More results", "search.sort": "Sort",
  "sort.relevance": "relevance", "sort.newest": "newest", "sort.oldest": "oldest",
  "search.export": "Export CSV", "search.exporting": "Exporting…", "search.exported": "{n} rows to your downloads",
  "search.shown": "{shown} of {total} shown",
  "trends.interval": "Per", "interval.day": "day", "interval.week": "week", "interval.month": "month",
  "trends.metric": "Show", "metric.volume": "volume", "metric.negative_share": "negative share", "metric.avg_rating": "average rating",
  "trends.split": "Split by", "split.none": "nothing", "split.topic": "topic", "split.brand": "brand", "split.source": "source", "split.sentiment": "sentiment",
  "trends.hint": "Click a bar or a point to read its documents.", "trends.all": "all",
  "trends.compare": "Brand comparison", "trends.period": "Period", "period.7d": "last 7 days", "period.30d": "last 30 days", "period.90d": "last 90 days",
  "compare.brand": "Brand", "compare.volume": "Volume", "compare.sov": "Share of voice", "compare.neg": "Negative share",
  "compare.now": "this period", "compare.prev": "previous", "compare.change": "change", "compare.pts": "pts",
  "emerging.window": "Current window", "emerging.baseline": "against the", "emerging.baseline.after": "before it",
  "emerging.topics": "Rising complaint topics", "emerging.keywords": "Rising keywords",
  "emerging.counts": "{current} now, {expected} expected (×{ratio}), G² {score}", "emerging.open": "Open in search",
  "emerging.none": "Nothing rises in this window.",
  "window.1d": "last day", "window.2d": "last 2 days", "window.3d": "last 3 days", "window.7d": "last 7 days",
  "baseline.14d": "14 days", "baseline.28d": "28 days", "baseline.56d": "56 days",
  "doc.back": "Back", "doc.labels": "Labels", "doc.sentiment": "Sentiment", "doc.topics": "Topics", "doc.topic": "Topic",
  "doc.polarity": "Polarity", "doc.score": "Score", "doc.evidence": "Evidence", "doc.model": "Model version",
  "doc.meta": "Source and metadata", "doc.keywords": "Keywords", "doc.notopics": "No topic found.",
  "m.source": "Source", "m.source_id": "Id at source", "m.channel": "Channel", "m.url": "Link", "m.brand": "Brand",
  "m.product_id": "Product id", "m.product_name": "Product", "m.lang": "Language", "m.rating": "Rating",
  "m.created_at": "Written", "m.fetched_at": "Collected", "m.author_hash": "Author (hashed)", "m.id": "Document id", "m.meta": "Other",
  "digests.title": "Subscriptions", "digests.new": "New subscription", "digests.readonly": "Your key is read-only: subscriptions cannot be changed.",
  "digests.empty": "No subscriptions yet.", "digests.create": "Subscribe", "digests.created": "Subscription created.",
  "d.name": "Name", "d.owner": "Owner", "d.q": "Query", "d.brand": "Brand", "d.topic": "Topic", "d.frequency": "Frequency",
  "d.weekday": "Weekday", "d.hour": "Hour", "d.tz": "Time zone", "d.channel": "Send by", "d.email_to": "E-mail to",
  "d.webhook_url": "Webhook URL", "d.webhook_format": "Webhook format", "d.cron": "Cron",
  "freq.daily": "daily", "freq.weekly": "weekly", "freq.cron": "cron",
  "wd.mon": "Mon", "wd.tue": "Tue", "wd.wed": "Wed", "wd.thu": "Thu", "wd.fri": "Fri", "wd.sat": "Sat", "wd.sun": "Sun",
  "ch.email": "e-mail", "ch.webhook": "webhook",
  "d.status": "Status", "d.next": "Next digest", "d.active": "active", "d.paused": "paused", "d.actions": "",
  "d.pause": "Pause", "d.resume": "Resume", "d.delete": "Delete", "d.preview": "Preview",
  "d.confirm": "Delete “{name}” and its delivery log?", "d.previewof": "Preview of the next digest of “{name}” (its period so far)",
  "d.previewlast": "Preview of the latest digest of “{name}” (it has no next one while paused)",
  "d.everything": "everything", "d.alertonly": "alerts only",
  "d.digest": "Digest", "d.digest.on": "send the scheduled digest", "d.webhook_secret": "Signing secret",
  "d.webhook_secret.hint": "optional: this webhook's own HMAC key", "d.signed": "signed",
  "d.alert.title": "Alert", "d.alert": "Alert when", "d.alert.none": "no alert", "d.threshold": "Threshold",
  "d.window": "Window", "d.baseline": "Baseline before it", "d.min_count": "Ignore topics seen fewer times than",
  "alert.emerging": "a complaint topic spikes", "alert.volume": "matching documents reach a number",
  "alert.help": "An alert goes out as soon as its rule holds, at most once per window, beside the digest or instead of it (untick the digest).",
  "alert.emerging.help": "The top negative topic's G² over the window against the baseline before it: 10 is a clear rise, 20 a strong one.",
  "alert.volume.help": "The number of documents the query matches in the window.",
  "alert.emerging.rule": "alert: topic spike, G² ≥ {threshold} over {window} against {baseline}",
  "alert.volume.rule": "alert: ≥ {threshold} documents in {window}",
  "nav.cases": "Cases", "cases.title": "Cases", "cases.count": "Cases", "cases.stillopen": "open",
  "cases.frt": "First response (median)", "cases.ttr": "Time to resolve (median)", "cases.fr_in_time": "First response in time",
  "cases.res_in_time": "Resolved in time", "cases.reopen": "Reopen rate", "cases.h": "h", "cases.state": "State",
  "cases.owner": "Owner", "cases.document": "Document", "cases.opened": "Opened", "cases.due_fr": "First response due",
  "cases.due_res": "Resolution due", "cases.details": "Details", "cases.overdue": "overdue", "cases.empty": "No cases.",
  "cases.case": "Case", "cases.note": "Note", "cases.save": "Save",
  "state.open": "open", "state.in_progress": "in progress", "state.resolved": "resolved", "state.closed": "closed",
  "event.opened": "opened", "event.state": "state", "event.note": "note", "event.assign": "owner", "event.alert": "deadline alert",
};

const zh = {
  "nav.search": "搜索", "nav.trends": "趋势", "nav.emerging": "新兴问题", "nav.digests": "订阅",
  "lang.switch": "English", "error": "错误", "loading": "加载中…", "none": "没有结果。", "any": "全部",
  "json": "JSON", "json.title": "JSON API 的同一结果",
  "access.title": "此 voclens 需要 API 密钥", "access.help": "请向管理员索取密钥（voclens keys create）。密钥只保存在当前浏览器标签页。",
  "access.key": "API 密钥", "access.open": "进入", "access.invalid": "密钥无效。",
  "access.signout": "清除密钥", "access.readonly": "只读", "access.expired": "API 拒绝了该密钥，请重新输入。",
  "f.q": "查询", "f.q.placeholder": "物流 慢、\"物流太慢\"、brand:Voltra topic:logistics:negative …",
  "f.go": "搜索", "f.brand": "品牌", "f.source": "来源", "f.channel": "渠道", "f.lang": "语言",
  "f.sentiment": "情感", "f.topic": "主题", "f.polarity": "主题极性", "f.since": "起始日期", "f.until": "截止日期（不含）",
  "f.clear": "清除", "f.list": "用逗号分隔", "colon": "：",
  "syntax.title": "查询语法", "syntax.both": "同时包含", "syntax.phrase": "精确短语", "syntax.not": "排除",
  "syntax.or": "任一词", "syntax.fields": "字段筛选", "syntax.labels": "标签；主题可带极性",
  "syntax.ranges": "范围（ISO 日期）",
  "channel.review": "评价", "channel.social": "社交", "channel.ticket": "工单", "channel.survey": "问卷", "channel.other": "其他",
  "lang.zh": "中文", "lang.en": "英文", "lang.other": "其他",
  "polarity.negative": "负面", "polarity.neutral": "中性", "polarity.positive": "正面",
  "rating": "评分",
  "search.total": "共 {n} 条", "search.more": "更多结果", "search.sort": "排序",
  "sort.relevance": "相关度", "sort.newest": "最新", "sort.oldest": "最早",
  "search.export": "导出 CSV", "search.exporting": "导出中…", "search.exported": "{n} 行，见浏览器下载",
  "search.shown": "已显示 {shown} / {total} 条",
  "trends.interval": "粒度", "interval.day": "按天", "interval.week": "按周", "interval.month": "按月",
  "trends.metric": "指标", "metric.volume": "声量", "metric.negative_share": "负面占比", "metric.avg_rating": "平均评分",
  "trends.split": "拆分", "split.none": "不拆分", "split.topic": "主题", "split.brand": "品牌", "split.source": "来源", "split.sentiment": "情感",
  "trends.hint": "点击柱或点，查看该时间段的原文。", "trends.all": "全部",
  "trends.compare": "品牌对比", "trends.period": "周期", "period.7d": "近 7 天", "period.30d": "近 30 天", "period.90d": "近 90 天",
  "compare.brand": "品牌", "compare.volume": "声量", "compare.sov": "声量份额", "compare.neg": "负面占比",
  "compare.now": "本期", "compare.prev": "上期", "compare.change": "变化", "compare.pts": "个百分点",
  "emerging.window": "当前窗口", "emerging.baseline": "对比之前", "emerging.baseline.after": "",
  "emerging.topics": "上升的投诉主题", "emerging.keywords": "上升的关键词",
  "emerging.counts": "当前 {current}，预期 {expected}（×{ratio}），G² {score}", "emerging.open": "在搜索中打开",
  "emerging.none": "此窗口内没有上升项。",
  "window.1d": "近 1 天", "window.2d": "近 2 天", "window.3d": "近 3 天", "window.7d": "近 7 天",
  "baseline.14d": "14 天", "baseline.28d": "28 天", "baseline.56d": "56 天",
  "doc.back": "返回", "doc.labels": "标签", "doc.sentiment": "情感", "doc.topics": "主题", "doc.topic": "主题",
  "doc.polarity": "极性", "doc.score": "置信度", "doc.evidence": "依据", "doc.model": "模型版本",
  "doc.meta": "来源与元数据", "doc.keywords": "关键词", "doc.notopics": "未识别到主题。",
  "m.source": "来源", "m.source_id": "来源编号", "m.channel": "渠道", "m.url": "链接", "m.brand": "品牌",
  "m.product_id": "商品编号", "m.product_name": "商品", "m.lang": "语言", "m.rating": "评分",
  "m.created_at": "发布时间", "m.fetched_at": "采集时间", "m.author_hash": "作者（哈希）", "m.id": "文档编号", "m.meta": "其他",
  "digests.title": "订阅", "digests.new": "新建订阅", "digests.readonly": "当前密钥为只读，不能修改订阅。",
  "digests.empty": "还没有订阅。", "digests.create": "订阅", "digests.created": "订阅已创建。",
  "d.name": "名称", "d.owner": "负责人", "d.q": "查询", "d.brand": "品牌", "d.topic": "主题", "d.frequency": "频率",
  "d.weekday": "星期", "d.hour": "时刻", "d.tz": "时区", "d.channel": "发送方式", "d.email_to": "收件邮箱",
  "d.webhook_url": "Webhook 地址", "d.webhook_format": "Webhook 格式", "d.cron": "Cron",
  "freq.daily": "每天", "freq.weekly": "每周", "freq.cron": "cron",
  "wd.mon": "周一", "wd.tue": "周二", "wd.wed": "周三", "wd.thu": "周四", "wd.fri": "周五", "wd.sat": "周六", "wd.sun": "周日",
  "ch.email": "邮件", "ch.webhook": "Webhook",
  "d.status": "状态", "d.next": "下次发送", "d.active": "启用", "d.paused": "已暂停", "d.actions": "",
  "d.pause": "暂停", "d.resume": "恢复", "d.delete": "删除", "d.preview": "预览",
  "d.confirm": "删除“{name}”及其发送记录？", "d.previewof": "“{name}”下一期摘要预览（本期至今）",
  "d.previewlast": "“{name}”最近一期摘要预览（暂停期间没有下一期）",
  "d.everything": "全部", "d.alertonly": "仅告警",
  "d.digest": "摘要", "d.digest.on": "按计划发送摘要", "d.webhook_secret": "签名密钥",
  "d.webhook_secret.hint": "可选：此 Webhook 专用的 HMAC 密钥", "d.signed": "已签名",
  "d.alert.title": "告警", "d.alert": "告警条件", "d.alert.none": "不告警", "d.threshold": "阈值",
  "d.window": "窗口", "d.baseline": "对比此前", "d.min_count": "忽略出现次数少于",
  "alert.emerging": "投诉主题激增", "alert.volume": "匹配文档数达到阈值",
  "alert.help": "规则一满足即发送告警，每个窗口最多一次；可与摘要同时使用，也可单独使用（取消勾选摘要）。",
  "alert.emerging.help": "窗口内最突出的负面主题相对此前基线的 G² 值：10 为明显上升，20 为强烈上升。",
  "alert.volume.help": "窗口内查询匹配到的文档数。",
  "alert.emerging.rule": "告警：主题激增，{window} 内 G² ≥ {threshold}（对比此前 {baseline}）",
  "alert.volume.rule": "告警：{window} 内文档数 ≥ {threshold}",
  "nav.cases": "工单", "cases.title": "工单", "cases.count": "工单数", "cases.stillopen": "未结",
  "cases.frt": "首次响应（中位数）", "cases.ttr": "解决用时（中位数）", "cases.fr_in_time": "按时首次响应",
  "cases.res_in_time": "按时解决", "cases.reopen": "重开率", "cases.h": "小时", "cases.state": "状态",
  "cases.owner": "负责人", "cases.document": "反馈", "cases.opened": "创建于", "cases.due_fr": "首次响应截止",
  "cases.due_res": "解决截止", "cases.details": "详情", "cases.overdue": "已超时", "cases.empty": "没有工单。",
  "cases.case": "工单", "cases.note": "备注", "cases.save": "保存",
  "state.open": "待处理", "state.in_progress": "处理中", "state.resolved": "已解决", "state.closed": "已关闭",
  "event.opened": "创建", "event.state": "状态", "event.note": "备注", "event.assign": "负责人", "event.alert": "超时提醒",
};

const STRINGS = { en, zh };

/** The interface language: the viewer's choice, else the browser's (zh-*, else English). */
export function lang() {
  const chosen = localStorage.getItem(STORE);
  if (chosen in STRINGS) return chosen;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLang(value) {
  localStorage.setItem(STORE, value);
  document.documentElement.lang = value === "zh" ? "zh-CN" : "en";
}

/** The string `key` in the current language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = STRINGS[lang()][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** A topic's display name: Chinese names from the taxonomy, English from the key. */
export const topicName = (key) =>
  lang() === "zh" ? config.topic_names_zh[key] ?? key : String(key).replaceAll("_", " ");
