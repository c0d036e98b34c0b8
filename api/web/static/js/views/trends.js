// Trends: GET /trends per day/week/month, split by topic, brand, source or sentiment, drawn with
// ECharts; a click on a bar or point opens the search for exactly that bucket. Brand comparison:
// two GET /trends?split=brand calls (this period and the one before) summed per brand.
import { api, apiUrl } from "../api.js";
import { bindFilterBar, filterBar, pickFilters } from "../filters.js";
import { esc, isoWithOffset, number, percent, viewerZone } from "../format.js";
import { lang, t } from "../i18n.js";
import { topicName } from "../topics.js";

const INTERVALS = ["day", "week", "month"];
const METRICS = ["volume", "negative_share", "avg_rating"];
const SPLITS = ["none", "topic", "brand", "source", "sentiment"];
const PERIODS = { "7d": 7, "30d": 30, "90d": 90 };

const options = (values, current, prefix) =>
  values.map((v) => `<option value="${v}"${v === current ? " selected" : ""}>${esc(t(`${prefix}.${v}`))}</option>`).join("");

/** A series' display name: topic names translated, sentiments too; brands and sources as they are. */
function seriesName(split, key) {
  if (key === null || key === undefined) return t("trends.all");
  if (split === "topic") return topicName(key);
  if (split === "sentiment") return t(`polarity.${key}`);
  return key;
}

/** The end of the local bucket starting at `startIso` (the viewer's zone is the query's: DST included). */
export function bucketEnd(startIso, interval) {
  const d = new Date(startIso);
  const end = interval === "month" ? new Date(d.getFullYear(), d.getMonth() + 1, 1)
    : new Date(d.getFullYear(), d.getMonth(), d.getDate() + (interval === "week" ? 7 : 1));
  return isoWithOffset(end);
}

const later = (a, b) => (!a ? b : !b ? a : new Date(a) >= new Date(b) ? a : b);
const earlier = (a, b) => (!a ? b : !b ? a : new Date(a) <= new Date(b) ? a : b);

/** Search parameters for one bucket of one series: the trend's filters, the bucket's time (within the
 * filters' dates: the first and last buckets may reach past them), the series' value. */
export function drillParams(filters, split, key, startIso, interval, metric) {
  const since = later(filters.since, startIso);
  const until = earlier(filters.until, bucketEnd(startIso, interval));
  const out = { ...filters, since, until, sort: "newest" };
  const negative = metric === "negative_share";
  if (split === "topic") out.topic = [negative ? `${key}:negative` : key];
  else if (split) out[split] = [key];
  if (negative && split !== "topic") out.sentiment = ["negative"];
  return out;
}

function chart(ctx, el) {
  const instance = window.echarts.init(el, null, { locale: lang() === "zh" ? "ZH" : "EN" });
  instance.setOption({ animation: false });  // the numbers at once: an analyst re-draws often, a screenshot is exact
  ctx.charts.push(instance);
  return instance;
}

function trendOption(result, split, metric) {
  const bar = metric === "volume";
  const share = metric === "negative_share";
  return {
    tooltip: { trigger: bar ? "item" : "axis", valueFormatter: (v) => (share ? percent(v) : number(v, 2)) },
    legend: { type: "scroll", top: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "time" },
    yAxis: { type: "value", min: metric === "avg_rating" ? 0 : undefined, max: metric === "avg_rating" ? 5 : undefined,
      axisLabel: { formatter: (v) => (share ? percent(v, 0) : number(v, 1)) } },
    series: result.values.map((s) => ({
      name: seriesName(split, s.key), type: bar ? "bar" : "line", stack: bar && split ? "total" : undefined,
      connectNulls: false, symbolSize: 7, emphasis: { focus: "series" },
      data: s.points.map(([start, value]) => [new Date(start).getTime(), value]),
    })),
  };
}

async function drawTrend(root, ctx, filters, view) {
  const { interval, metric } = view;
  const split = view.split === "none" ? undefined : view.split;
  const params = { ...filters, interval, metric, split, tz: viewerZone(), split_limit: 12 };
  root.querySelector("#trend-json").href = apiUrl("trends", params);
  const result = await api("trends", { params });
  const el = root.querySelector("#trend-chart");
  const instance = chart(ctx, el);
  instance.setOption(trendOption(result, split, metric));
  instance.on("click", (event) => {
    const series = result.values[event.seriesIndex];
    const [start] = series.points[event.dataIndex];
    ctx.navigate("search", drillParams(filters, split, series.key, start, interval, metric));
  });
}

/** Per brand: volume and negatives in [since, until), from a brand-split trend. */
async function brandTotals(filters, since, until) {
  const params = { ...filters, since, until, split: "brand", interval: "month", split_limit: 50, tz: viewerZone() };
  const result = await api("trends", { params });
  const out = {};
  for (const s of result.series) {
    out[s.key] = s.buckets.reduce((a, b) => ({ volume: a.volume + b.volume, negative: a.negative + b.negative }), { volume: 0, negative: 0 });
  }
  return out;
}

/** This period and the one before, ending at the start of tomorrow (so today counts). */
export function periods(days, now = new Date()) {
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const mid = new Date(end.getFullYear(), end.getMonth(), end.getDate() - days);
  const start = new Date(end.getFullYear(), end.getMonth(), end.getDate() - 2 * days);
  return { current: [isoWithOffset(mid), isoWithOffset(end)], previous: [isoWithOffset(start), isoWithOffset(mid)] };
}

/** Share of voice and negative share per brand, now and before, sorted by this period's volume. */
export function compareBrands(now, before) {
  const total = (m) => Object.values(m).reduce((a, b) => a + b.volume, 0) || 1;
  const [tNow, tBefore] = [total(now), total(before)];
  const brands = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  return brands.map((brand) => {
    const a = now[brand] ?? { volume: 0, negative: 0 };
    const b = before[brand] ?? { volume: 0, negative: 0 };
    return {
      brand, volume: a.volume, previousVolume: b.volume,
      sov: a.volume / tNow, previousSov: b.volume / tBefore,
      neg: a.volume ? a.negative / a.volume : null, previousNeg: b.volume ? b.negative / b.volume : null,
    };
  }).sort((x, y) => y.volume - x.volume || x.brand.localeCompare(y.brand));
}

const delta = (a, b) => (a === null || b === null ? "–" : `${a >= b ? "+" : ""}${((a - b) * 100).toFixed(1)} ${t("compare.pts")}`);

async function drawBrands(root, ctx, filters, periodKey) {
  const { current, previous } = periods(PERIODS[periodKey]);
  const rows = compareBrands(await brandTotals(filters, ...current), await brandTotals(filters, ...previous));
  const instance = chart(ctx, root.querySelector("#brand-chart"));
  const now = t("compare.now");
  const prev = t("compare.prev");
  const bars = [  // name, field, period, colour (this period strong, the previous one pale)
    [`${t("compare.sov")} · ${now}`, "sov", current, "#0b5cad"], [`${t("compare.sov")} · ${prev}`, "previousSov", previous, "#9cc3ea"],
    [`${t("compare.neg")} · ${now}`, "neg", current, "#c0392b"], [`${t("compare.neg")} · ${prev}`, "previousNeg", previous, "#f0a59c"],
  ];
  instance.setOption({
    tooltip: { trigger: "axis", valueFormatter: (v) => percent(v) },
    legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: rows.map((r) => r.brand) },
    yAxis: { type: "value", axisLabel: { formatter: (v) => percent(v, 0) } },
    series: bars.map(([name, field, , color]) => ({ name, type: "bar", color, data: rows.map((r) => r[field]) })),
  });
  instance.on("click", (event) => {
    const [, field, [since, until]] = bars[event.seriesIndex];
    const extra = field.toLowerCase().includes("neg") ? { sentiment: ["negative"] } : {};
    ctx.navigate("search", { ...filters, ...extra, brand: [rows[event.dataIndex].brand], since, until, sort: "newest" });
  });
  root.querySelector("#brand-table tbody").innerHTML = rows.map((r) => `<tr>
    <td><a href="${esc(ctx.href("search", { ...filters, brand: [r.brand], since: current[0], until: current[1] }))}">${esc(r.brand)}</a></td>
    <td class="num">${number(r.volume)}</td><td class="num muted">${number(r.previousVolume)}</td>
    <td class="num">${percent(r.sov)}</td><td class="num muted">${percent(r.previousSov)}</td><td class="num">${delta(r.sov, r.previousSov)}</td>
    <td class="num">${percent(r.neg)}</td><td class="num muted">${percent(r.previousNeg)}</td><td class="num">${delta(r.neg, r.previousNeg)}</td></tr>`).join("");
}

export async function render(root, ctx, { params }) {
  const filters = pickFilters(params);
  const view = {
    interval: INTERVALS.includes(params.interval) ? params.interval : "week",
    metric: METRICS.includes(params.metric) ? params.metric : "volume",
    split: SPLITS.includes(params.split) ? params.split : "topic",
  };
  const period = params.period in PERIODS ? params.period : "30d";
  const state = { ...view, period };
  const th = (key) => `<th>${esc(t(key))}</th>`;
  root.innerHTML = `${filterBar(params)}
<div class="toolbar" id="trend-controls">
  <label>${esc(t("trends.interval"))} <select name="interval">${options(INTERVALS, view.interval, "interval")}</select></label>
  <label>${esc(t("trends.metric"))} <select name="metric">${options(METRICS, view.metric, "metric")}</select></label>
  <label>${esc(t("trends.split"))} <select name="split">${options(SPLITS, view.split, "split")}</select></label>
  <span class="spacer"></span><a class="json" id="trend-json" target="_blank" title="${esc(t("json.title"))}">${esc(t("json"))}</a>
</div>
<div id="trend-chart" class="chart"></div>
<p class="hint">${esc(t("trends.hint"))}</p>
<h2>${esc(t("trends.compare"))} <select name="period" id="period">${Object.keys(PERIODS)
    .map((p) => `<option value="${p}"${p === period ? " selected" : ""}>${esc(t(`period.${p}`))}</option>`).join("")}</select></h2>
<div id="brand-chart" class="chart small"></div>
<table id="brand-table" class="table"><thead><tr>${th("compare.brand")}<th class="num" colspan="2">${esc(t("compare.volume"))}</th>
<th class="num" colspan="3">${esc(t("compare.sov"))}</th><th class="num" colspan="3">${esc(t("compare.neg"))}</th></tr>
<tr><th></th><th class="num">${esc(t("compare.now"))}</th><th class="num">${esc(t("compare.prev"))}</th>
<th class="num">${esc(t("compare.now"))}</th><th class="num">${esc(t("compare.prev"))}</th><th class="num">${esc(t("compare.change"))}</th>
<th class="num">${esc(t("compare.now"))}</th><th class="num">${esc(t("compare.prev"))}</th><th class="num">${esc(t("compare.change"))}</th></tr></thead>
<tbody></tbody></table>`;
  bindFilterBar(root, params, (next) => ctx.navigate("trends", { ...next, ...state }));
  for (const sel of root.querySelectorAll("#trend-controls select, #period")) {
    sel.addEventListener("change", (e) => ctx.navigate("trends", { ...filters, ...state, [e.target.name]: e.target.value }));
  }
  await Promise.all([drawTrend(root, ctx, filters, view), drawBrands(root, ctx, filters, period)]);
}
