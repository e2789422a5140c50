// visualizer.js — benchmark rows drawn as SVG charts: the charts of the
// native HTML report (src/bench/report_html.c: latency with error bars,
// throughput against batch size, the text generation rates) plus the
// latency percentiles, as DOM SVG in a browser container or as SVG text in
// Node (renderSVG()).
//
// Every mark carries a class and data-* values as the C report's do (bar,
// errbar, pbar, point, llmbar, llmerr; xtick and ytick on the axes), so a
// test can check that a chart holds the numbers, not just shapes. Every
// axis is labelled with its unit; every x axis has tick labels. Text is
// escaped (a model name is data, never markup), and in a browser the
// elements are made with createElementNS and text nodes, never innerHTML.
//
//   const v = createVisualizer({ container: document.getElementById('charts'), results: await store.query() });
//   v.renderSVG('throughput');   // one chart's SVG text; renderSVG() all of them

const SVG_NS = 'http://www.w3.org/2000/svg';
// The C report's geometry and colours (report_html.c), so both look alike.
const W = 720, H = 320, ML = 70, MB = 60, MT = 30;
const PALETTE = ['#3b6ea8', '#d1793a', '#4c9a5a', '#a84b6e', '#7a62b3', '#8a7a3a'];

// ------------------------------------------------------------- a tiny tree

const el = (tag, attrs = {}, ...children) => ({ tag, attrs, children: children.flat().filter((c) => c !== null) });

const escText = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s) => escText(s).replace(/"/g, '&quot;');

function serialize(node) {
  if (typeof node === 'string' || typeof node === 'number') return escText(node);
  const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${escAttr(v)}"`).join('');
  return `<${node.tag}${attrs}>${node.children.map(serialize).join('')}</${node.tag}>`;
}

function toDOM(node, doc) {
  if (typeof node === 'string' || typeof node === 'number') return doc.createTextNode(String(node));
  const e = doc.createElementNS(SVG_NS, node.tag);
  for (const [k, v] of Object.entries(node.attrs)) e.setAttribute(k, String(v));
  for (const c of node.children) e.appendChild(toDOM(c, doc));
  return e;
}

// ------------------------------------------------------------- numbers

const num = (r, k) => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? r[k] : NaN);
const fixed1 = (v) => Math.round(v * 10) / 10;
// data-value: six significant digits, as the C report's %.6g
const dataValue = (v) => String(Number(v.toPrecision(6)));

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten at or above v. */
export function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v > 0 ? v : 1));
  return v <= p ? p : v <= 2 * p ? 2 * p : v <= 5 * p ? 5 * p : 10 * p;
}

// A tick's label: whole numbers from 1000 up, else three significant digits
// without an exponent (the C report's rule).
function tickLabel(v) {
  if (v >= 1000) return v.toFixed(0);
  if (v === 0) return '0';
  return String(Number(v.toPrecision(3)));
}

const isGenerate = (r) => r.kind === 'generate';
const measured = (r) => !isGenerate(r) && !r.skipped_reason && Number.isFinite(num(r, 'latency_ms_mean'));
const measuredGen = (r, key) => isGenerate(r) && !r.skipped_reason && Number.isFinite(num(r, key));

// ------------------------------------------------------------- pieces

const yOf = (v, ymax) => (H - MB) - (H - MB - MT) * v / ymax;

// The axes, the y ticks (0 to ymax in quarters, labelled, gridlines), the
// y label and the x label.
function axes(ymax, ylabel, xlabel) {
  const out = [
    el('line', { x1: ML, y1: MT, x2: ML, y2: H - MB, stroke: '#333' }),
    el('line', { x1: ML, y1: H - MB, x2: W - 10, y2: H - MB, stroke: '#333' }),
  ];
  for (let i = 0; i <= 4; i++) {
    const v = ymax * i / 4, y = fixed1(yOf(v, ymax));
    out.push(el('text', { class: 'ytick', x: ML - 6, y: fixed1(y + 4), 'font-size': 11, 'text-anchor': 'end' }, tickLabel(v)));
    out.push(el('line', { x1: ML, y1: y, x2: W - 10, y2: y, stroke: '#ddd' }));
  }
  out.push(el('text', { class: 'ylabel', x: 14, y: H / 2, 'font-size': 12, transform: `rotate(-90 14 ${H / 2})`,
                        'text-anchor': 'middle' }, ylabel));
  out.push(el('text', { class: 'xlabel', x: (W + ML) / 2, y: H - 8, 'font-size': 12, 'text-anchor': 'middle' }, xlabel));
  return out;
}

// An x tick under a bar or a point: its mark and its label (one or two lines).
function xtick(x, ...lines) {
  return [
    el('line', { class: 'xtick', x1: fixed1(x), y1: H - MB, x2: fixed1(x), y2: H - MB + 5, stroke: '#333' }),
    ...lines.map((t, k) => el('text', { class: 'xtick', x: fixed1(x), y: H - MB + 17 + 13 * k, 'font-size': 10,
                                        'text-anchor': 'middle' }, t)),
  ];
}

// A chart: its title as a tooltip (<title>) and written at the top.
const svg = (id, title, ...children) => el('svg', {
  id, class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, xmlns: SVG_NS, role: 'img', 'aria-label': title,
}, el('title', {}, title),
  el('text', { class: 'chart-title', x: 10, y: 16, 'font-size': 13, 'font-weight': 'bold' }, title), ...children);

const empty = (id, title) => svg(id, title, el('text', { x: 20, y: 40 }, 'no measured rows'));

function errorBar(cls, sd, x, v, ymax) {
  if (!(sd > 0)) return null;
  return el('line', { class: cls, 'data-value': dataValue(sd), x1: fixed1(x), y1: fixed1(yOf(Math.max(v - sd, 0), ymax)),
                      x2: fixed1(x), y2: fixed1(yOf(v + sd, ymax)), stroke: '#000' });
}

// ------------------------------------------------------------- charts

// One bar per row of value(r) ± sd(r), each named under its slot.
function barChart({ id, title, rows, value, sd, ylabel, xlabel, cls, errCls, color, label, extra = () => ({}) }) {
  if (!rows.length) return empty(id, title);
  const ymax = niceMax(Math.max(...rows.map((r) => value(r) + (sd(r) > 0 ? sd(r) : 0))));
  const slot = (W - ML - 20) / rows.length, bw = slot * 0.6;
  const marks = rows.flatMap((r, i) => {
    const v = value(r), x = ML + 10 + slot * i + (slot - bw) / 2, y = yOf(v, ymax);
    return [
      el('rect', { class: cls, ...extra(r), 'data-value': dataValue(v), x: fixed1(x), y: fixed1(y), width: fixed1(bw),
                   height: fixed1(H - MB - y), fill: color ?? PALETTE[i % PALETTE.length] },
         el('title', {}, `${r.model} ${r.backend} ${label(r)}: ${Number(v.toPrecision(6))} ${ylabel}`)),
      errorBar(errCls, sd(r), x + bw / 2, v, ymax),
      ...xtick(x + bw / 2, `r${r.run_id ?? '?'} ${r.backend} ${label(r)}`, r.model),
    ];
  });
  return svg(id, title, ...axes(ymax, ylabel, xlabel), ...marks);
}

function latencyChart(rows, opt) {
  return barChart({
    id: 'latency', title: 'Latency by hardware (embedding models: mean ± stddev, ms per batch)', rows: rows.filter(measured),
    value: (r) => num(r, 'latency_ms_mean'), sd: (r) => num(r, 'latency_ms_stddev'), cls: 'bar', errCls: 'errbar',
    ylabel: opt.label ?? 'latency (ms)', xlabel: 'run, device, batch size', color: opt.color, label: (r) => `b${r.batch}`,
  });
}

// p50, p90 and p99 side by side for each measured row.
function percentileChart(rows, opt) {
  const id = 'percentiles', title = 'Latency percentiles (embedding models: p50, p90, p99, ms per batch)';
  const keys = ['latency_ms_p50', 'latency_ms_p90', 'latency_ms_p99'];
  const rs = rows.filter((r) => measured(r) && keys.some((k) => Number.isFinite(num(r, k))));
  if (!rs.length) return empty(id, title);
  const ymax = niceMax(Math.max(...rs.flatMap((r) => keys.map((k) => num(r, k)).filter(Number.isFinite))));
  const slot = (W - ML - 20) / rs.length, bw = slot * 0.8 / 3;
  const shades = opt.color ? [opt.color, opt.color, opt.color] : PALETTE.slice(0, 3);
  const marks = rs.flatMap((r, i) => {
    const x0 = ML + 10 + slot * i + slot * 0.1;
    return [
      ...keys.map((k, j) => {
        const v = num(r, k);
        if (!Number.isFinite(v)) return null;
        const y = yOf(v, ymax);
        return el('rect', { class: 'pbar', 'data-metric': k, 'data-value': dataValue(v), x: fixed1(x0 + bw * j),
                            y: fixed1(y), width: fixed1(bw), height: fixed1(H - MB - y), fill: shades[j],
                            'fill-opacity': opt.color ? 1 - 0.25 * j : 1 },
                  el('title', {}, `${r.model} ${r.backend} b${r.batch} ${k.slice(-3)}: ${Number(v.toPrecision(6))} ms`));
      }),
      ...xtick(x0 + bw * 1.5, `r${r.run_id ?? '?'} ${r.backend} b${r.batch}`, r.model),
    ];
  });
  const legend = ['p50', 'p90', 'p99'].flatMap((name, j) => [
    el('rect', { x: W - 150 + 45 * j, y: MT - 22, width: 10, height: 10, fill: shades[j], 'fill-opacity': opt.color ? 1 - 0.25 * j : 1 }),
    el('text', { class: 'legend', x: W - 136 + 45 * j, y: MT - 13, 'font-size': 11 }, name),
  ]);
  return svg(id, title, ...axes(ymax, opt.label ?? 'latency (ms)', 'run, device, batch size'), ...marks, ...legend);
}

const sameSeries = (a, b) => a.run_id === b.run_id && a.model === b.model && a.backend === b.backend && a.seq_len === b.seq_len;

// Items/s against batch size (log scale), one line per (run, model,
// backend, sequence length), every measured batch size a labelled tick.
function throughputChart(rows, opt) {
  const id = 'throughput', title = 'Throughput against batch size (items/s)';
  const rs = rows.filter((r) => measured(r) && Number.isFinite(num(r, 'items_per_s')) && num(r, 'batch') >= 1);
  const ymax0 = Math.max(0, ...rs.map((r) => num(r, 'items_per_s')));
  if (!(ymax0 > 0)) return empty(id, title);
  const ymax = niceMax(ymax0), xmax = Math.max(...rs.map((r) => r.batch));
  const xOf = (b) => ML + 10 + (W - ML - 30) * (xmax > 1 ? Math.log(b) / Math.log(xmax) : 0.5);
  const batches = [...new Set(rs.map((r) => r.batch))].sort((a, b) => a - b);
  const ticks = batches.flatMap((b) => xtick(xOf(b), String(b)));
  const series = [];
  for (const r of rs) if (!series.some((s) => sameSeries(s[0], r))) series.push(rs.filter((q) => sameSeries(q, r)));
  const marks = series.flatMap((pts, k) => {
    const color = series.length === 1 && opt.color ? opt.color : PALETTE[k % PALETTE.length];
    const sorted = [...pts].sort((a, b) => a.batch - b.batch);
    const s = pts[0];
    return [
      el('polyline', { class: 'series', fill: 'none', stroke: color,
                       points: sorted.map((r) => `${fixed1(xOf(r.batch))},${fixed1(yOf(r.items_per_s, ymax))}`).join(' ') }),
      ...sorted.map((r) => el('circle', { class: 'point', 'data-value': dataValue(r.items_per_s), 'data-batch': r.batch,
                                          cx: fixed1(xOf(r.batch)), cy: fixed1(yOf(r.items_per_s, ymax)), r: 4, fill: color },
                             el('title', {}, `${r.model} ${r.backend} batch ${r.batch}: ${Number(r.items_per_s.toPrecision(6))} items/s`))),
      el('text', { class: 'legend', x: W - 230, y: MT + 14 * k, 'font-size': 11, fill: color },
         `run ${s.run_id ?? '?'}: ${s.model} / ${s.backend} / seq ${s.seq_len ?? '?'}`),
    ];
  });
  return svg(id, title, ...axes(ymax, opt.label ?? 'items/s', 'batch size (log scale)'), ...ticks, ...marks);
}

function genChart(rows, { id, title, key, sdKey, ylabel, test, sizeKey }, opt) {
  return barChart({
    id, title, rows: rows.filter((r) => measuredGen(r, key)), value: (r) => num(r, key), sd: (r) => num(r, sdKey),
    cls: 'llmbar', errCls: 'llmerr', ylabel: opt.label ?? ylabel, xlabel: 'run, device, test (llama-bench names)',
    color: opt.color, label: (r) => `${test}${r[sizeKey] ?? '?'}`, extra: () => ({ 'data-metric': key }),
  });
}

const GEN_CHARTS = [
  { id: 'llm_prompt', title: 'Prompt processing (tokens/s)', key: 'prompt_tokens_per_s', sdKey: 'prompt_tokens_per_s_stddev',
    ylabel: 'prompt tokens/s', test: 'pp', sizeKey: 'seq_len', option: 'promptThroughput' },
  { id: 'llm_gen', title: 'Generation (tokens/s)', key: 'gen_tokens_per_s', sdKey: 'gen_tokens_per_s_stddev',
    ylabel: 'generated tokens/s', test: 'tg', sizeKey: 'gen_tokens', option: 'generationThroughput' },
  { id: 'llm_ttft', title: 'Time to first token (ms)', key: 'ttft_ms', sdKey: 'ttft_ms_stddev', ylabel: 'ms', test: 'pp',
    sizeKey: 'seq_len', option: 'ttft' },
];

/** The chart ids, in drawing order (the generation ones only with generation rows). */
export const CHARTS = Object.freeze(['latency', 'percentiles', 'throughput', ...GEN_CHARTS.map((c) => c.id)]);

// ------------------------------------------------------------- the object

const METRIC_OPTIONS = { latency: ['latency', 'percentiles'], throughput: ['throughput'],
                         promptThroughput: ['llm_prompt'], generationThroughput: ['llm_gen'], ttft: ['llm_ttft'] };

function checkRows(results) {
  if (!Array.isArray(results)) throw new TypeError('createVisualizer: results must be an array of result rows (store.query())');
  results.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || typeof r.model !== 'string' || typeof r.backend !== 'string')
      throw new TypeError(`createVisualizer: results[${i}] is not a result row (it needs model and backend)`);
  });
  return results;
}

/** Charts of benchmark rows. See createVisualizer. */
export class Visualizer {
  #rows;
  #opts;

  constructor({ container = null, results = [], metricOptions = {} } = {}) {
    for (const k of Object.keys(metricOptions))
      if (!(k in METRIC_OPTIONS))
        throw new TypeError(`createVisualizer: unknown metricOptions key '${k}' (${Object.keys(METRIC_OPTIONS).join(', ')})`);
    this.#rows = checkRows(results);
    this.#opts = metricOptions;
    this.container = container;
  }

  /** The ids of the charts these rows give (generation charts only with generation rows). */
  get charts() {
    return this.#rows.some(isGenerate) ? [...CHARTS] : CHARTS.slice(0, 3);
  }

  #opt(id) {
    const key = Object.keys(METRIC_OPTIONS).find((k) => METRIC_OPTIONS[k].includes(id));
    return this.#opts[key] ?? {};
  }

  #tree(id) {
    const rows = this.#rows;
    switch (id) {
      case 'latency': return latencyChart(rows, this.#opt(id));
      case 'percentiles': return percentileChart(rows, this.#opt(id));
      case 'throughput': return throughputChart(rows, this.#opt(id));
      default: {
        const g = GEN_CHARTS.find((c) => c.id === id);
        if (!g) throw new RangeError(`unknown chart '${id}' (${CHARTS.join(', ')})`);
        return genChart(rows, g, this.#opt(id));
      }
    }
  }

  /** One chart's SVG text, or every chart's (one <svg> per line) without an id. */
  renderSVG(id) {
    return id === undefined ? this.charts.map((c) => serialize(this.#tree(c))).join('\n') : serialize(this.#tree(id));
  }

  /**
   * Draws every chart into the container (or the one given) as SVG
   * elements, replacing what this visualizer drew there before.
   * → the <svg> elements. Browsers only (needs a document).
   */
  render(container = this.container) {
    const doc = container?.ownerDocument ?? globalThis.document;
    if (!container || !doc?.createElementNS)
      throw new Error('render() draws into a DOM container; in Node use renderSVG()');
    for (const old of container.querySelectorAll?.('svg.chart[data-ia-visualizer]') ?? []) old.remove();
    return this.charts.map((id) => {
      const node = toDOM(this.#tree(id), doc);
      node.setAttribute('data-ia-visualizer', '');
      container.appendChild(node);
      return node;
    });
  }

  /** New rows; redraws into the container when there is one in a document. */
  update(results) {
    this.#rows = checkRows(results);
    if (this.container && (this.container.ownerDocument ?? globalThis.document)) this.render();
  }
}

/**
 * Charts of benchmark rows (store.query() or the CLI's results JSON):
 *   container:     a DOM element to draw into now (browsers), or null
 *   results:       the rows
 *   metricOptions: {latency, throughput, promptThroughput, generationThroughput,
 *                   ttft: {color, label}} — a bar colour and the y axis label
 * → Visualizer (renderSVG(id?), render(container?), update(rows), charts)
 */
export function createVisualizer(options = {}) {
  const v = new Visualizer(options);
  if (v.container) v.render();
  return v;
}
