// visualizer.test.mjs — the charts hold the numbers they were given: one
// bar per measured row (with its value and stddev), one point per row on
// the throughput chart with a labelled tick per batch size, labelled axes
// with units, skipped rows not drawn, text escaped; drawn into a DOM
// container through createElementNS (a minimal stand-in document here; the
// browser itself is checked with Playwright).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openResultsStore } from '../utils/results_store.js';
import { CHARTS, createVisualizer, niceMax } from '../utils/visualizer.js';

let n = 0;
const count = (s, re) => (s.match(re) ?? []).length;

async function rows() {
  const s = await openResultsStore({ name: `vis-${process.pid}-${++n}`, storage: 'memory' });
  await s.add({ version: '0.1.0' }, [
    { model: 'm<1>', backend: 'wasm', precision: 'fp32', batch: 1, seq_len: 16, latency_ms_mean: 2, latency_ms_stddev: 0.1,
      latency_ms_p50: 2, latency_ms_p90: 2.2, latency_ms_p99: 2.4, items_per_s: 500 },
    { model: 'm<1>', backend: 'wasm', precision: 'fp32', batch: 8, seq_len: 16, latency_ms_mean: 8, latency_ms_stddev: 0.4,
      latency_ms_p50: 8, latency_ms_p90: 8.5, latency_ms_p99: 9, items_per_s: 1000 },
    { model: 'm<1>', backend: 'webgpu', precision: 'fp16', batch: 1, seq_len: 16,
      skipped_reason: 'no WebGPU executor yet' },
    { model: 'm<1>', backend: 'wasm', precision: 'fp32', batch: 32, seq_len: 16, latency_ms_mean: 20, latency_ms_stddev: 1,
      latency_ms_p50: 20, latency_ms_p90: 21, latency_ms_p99: 23, items_per_s: 1600 },
  ]);
  await s.add({ version: '0.1.0' }, [
    { model: 'smollm2', backend: 'wasm', precision: 'int4', kind: 'generate', batch: 1, seq_len: 512, gen_tokens: 128,
      prompt_tokens_per_s: 901.5, prompt_tokens_per_s_stddev: 12.5, gen_tokens_per_s: 70.25,
      gen_tokens_per_s_stddev: 1.5, ttft_ms: 570.5, ttft_ms_stddev: 8 },
  ]);
  return s.query();
}

test('one bar per measured row, with values, error bars and labelled axes', async () => {
  const v = createVisualizer({ results: await rows() });
  assert.deepEqual(v.charts, CHARTS);
  const lat = v.renderSVG('latency');
  assert.equal(count(lat, /class="bar"/g), 3, 'a bar per measured embedding row (not the skipped one)');
  assert.equal(count(lat, /class="errbar"/g), 3);
  for (const x of ['2', '8', '20']) assert.match(lat, new RegExp(`class="bar" data-value="${x}"`));
  assert.match(lat, /class="errbar" data-value="0.4"/);
  assert.match(lat, /class="ylabel"[^>]*>latency \(ms\)</);
  assert.match(lat, /class="xlabel"[^>]*>run, device, batch size</);
  assert.equal(count(lat, /<text class="xtick"[^>]*>r1 wasm b\d+</g), 3, 'each bar named on the x axis');
  assert.deepEqual([...lat.matchAll(/class="ytick"[^>]*>([^<]*)</g)].map((m) => m[1]), ['0', '12.5', '25', '37.5', '50']);
  assert.ok(!lat.includes('m<1>') && lat.includes('m&lt;1&gt;'), 'text is escaped');
  const pct = v.renderSVG('percentiles');
  assert.equal(count(pct, /class="pbar"/g), 9, 'p50, p90 and p99 for each measured row');
  assert.match(pct, /data-metric="latency_ms_p99" data-value="23"/);
});

test('throughput: a point per row, x ticks labelled with every batch size', async () => {
  const svg = createVisualizer({ results: await rows() }).renderSVG('throughput');
  assert.equal(count(svg, /class="point"/g), 3);
  assert.deepEqual([...svg.matchAll(/<text class="xtick"[^>]*>([^<]*)</g)].map((m) => m[1]), ['1', '8', '32']);
  assert.equal(count(svg, /<line class="xtick"/g), 3);
  // log scale: batch 8 sits at log(8)/log(32) = 60% of the way from 1 to 32
  const xs = [...svg.matchAll(/<text class="xtick" x="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(Math.abs((xs[1] - xs[0]) / (xs[2] - xs[0]) - 0.6) < 0.01, xs.join(','));
  assert.match(svg, /class="xlabel"[^>]*>batch size \(log scale\)</);
  assert.match(svg, /class="ylabel"[^>]*>items\/s</);
  assert.match(svg, /class="point" data-value="1600" data-batch="32"/);
  assert.equal(count(svg, /class="series"/g), 1);
});

test('text generation charts: one bar per generation row with its stddev', async () => {
  const v = createVisualizer({ results: await rows() });
  const all = v.renderSVG();
  assert.equal(count(all, /<svg /g), 6);
  assert.equal(count(all, /class="llmbar"/g), 3);
  assert.match(all, /data-metric="prompt_tokens_per_s" data-value="901.5"/);
  assert.match(all, /data-metric="gen_tokens_per_s" data-value="70.25"/);
  assert.match(all, /class="llmerr" data-value="1.5"/);
  assert.match(all, />r2 wasm tg128</);
  assert.match(all, /class="ylabel"[^>]*>generated tokens\/s</);
  // without generation rows there are no generation charts
  const embedOnly = createVisualizer({ results: (await rows()).filter((r) => r.kind === 'embed') });
  assert.deepEqual(embedOnly.charts, ['latency', 'percentiles', 'throughput']);
});

test('metricOptions colour and label; nothing measured says so; bad input is refused', async () => {
  const v = createVisualizer({ results: await rows(), metricOptions: {
    latency: { color: 'red', label: 'Inference Time (ms)' }, throughput: { color: 'blue', label: 'Tokens/sec' } } });
  assert.match(v.renderSVG('latency'), /class="ylabel"[^>]*>Inference Time \(ms\)</);
  assert.equal(count(v.renderSVG('latency'), /class="bar"[^>]*fill="red"/g), 3);
  assert.match(v.renderSVG('throughput'), /class="point"[^>]*fill="blue"/);
  assert.match(createVisualizer({ results: [] }).renderSVG('latency'), /no measured rows/);
  assert.throws(() => createVisualizer({ results: [{}] }), /results\[0\] is not a result row/);
  assert.throws(() => createVisualizer({ results: [], metricOptions: { memory: {} } }), /unknown metricOptions key 'memory'/);
  assert.throws(() => v.renderSVG('pie'), /unknown chart 'pie'/);
  assert.throws(() => v.render(), /in Node use renderSVG/);
  assert.deepEqual([0.3, 1, 1.5, 3, 7, 120].map(niceMax), [0.5, 1, 2, 5, 10, 200]);
});

// The fewest DOM methods render() uses, recording what it builds.
function standInDocument() {
  const make = (tag, ns) => ({
    tag, ns, attrs: {}, children: [], setAttribute(k, v) { this.attrs[k] = v; },
    appendChild(c) { this.children.push(c); c.parent = this; return c; },
    remove() { this.parent.children.splice(this.parent.children.indexOf(this), 1); },
    querySelectorAll() { return this.children.filter((c) => c.tag === 'svg' && 'data-ia-visualizer' in c.attrs); },
  });
  const doc = { createElementNS: (ns, tag) => make(tag, ns), createTextNode: (text) => ({ text }) };
  const container = make('div', null);
  container.ownerDocument = doc;
  return container;
}

test('render() builds SVG elements in the container, replacing its own on update', async () => {
  const container = standInDocument();
  const v = createVisualizer({ container, results: await rows() });
  assert.equal(container.children.length, 6);
  const lat = container.children[0];
  assert.equal(lat.ns, 'http://www.w3.org/2000/svg');
  assert.equal(lat.attrs.id, 'latency');
  const bars = lat.children.filter((c) => c.attrs?.class === 'bar');
  assert.deepEqual(bars.map((b) => b.attrs['data-value']), ['2', '8', '20']);
  // text goes in as text nodes, never parsed as markup
  const title = bars[0].children[0].children[0];
  assert.equal(title.text, 'm<1> wasm b1: 2 latency (ms)');
  v.update((await rows()).filter((r) => r.kind === 'embed'));
  assert.equal(container.children.length, 3);
});
