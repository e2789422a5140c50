// browser_child.mjs — one contender, one (dtype, threads), in a fresh
// headless Chromium (playwright-core, Debian's /usr/bin/chromium), for
// bench/js_vs_transformersjs. The page and every file come from the
// harness's local server (COOP/COEP set, so crossOriginIsolated).
//
//   node bench/js/browser_child.mjs CONFIG.json
//
// CONFIG: { playwright: path of playwright-core, chromium, base_url,
//           module: URL path of the contender, opts, texts_file (JSON array),
//           batches, iters, warmup, timeout_ms }
// Prints one JSON line like node_child.mjs, plus page (crossOriginIsolated,
// hardwareConcurrency, workers started), console warnings/errors, and per
// run cpu_util: CPU time of Chromium's processes (/proc, all threads) over
// the wall time of the timed passes.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const require = createRequire(import.meta.url);
const { chromium } = require(cfg.playwright);
const texts = JSON.parse(readFileSync(cfg.texts_file, 'utf8'));
const TICK = 100;  // USER_HZ

function procTree(root) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ppid = +f[1];
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(+d);
    } catch { /* gone */ }
  }
  const out = [], todo = [root];
  while (todo.length) { const p = todo.pop(); out.push(p); todo.push(...(kids.get(p) ?? [])); }
  return out;
}

function cpuSeconds(root) {
  // CPU seconds of Chromium's processes (every descendant of this process,
  // not itself), in all and per process type (--type=renderer, gpu-process,
  // utility...; 'browser' for the main one).
  const by = {};
  let t = 0;
  for (const pid of procTree(root)) {
    if (pid === root) continue;
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const s = (+f[11] + +f[12]) / TICK;  // utime + stime
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = (cmd.match(/--type=([a-z-]+)/) ?? [null, 'browser'])[1];
      by[type] = (by[type] ?? 0) + s;
      t += s;
    } catch { /* gone */ }
  }
  return { t, by };
}

const out = { env: 'browser' };
const consoleLines = [];
let browser;
try {
  browser = await chromium.launch({
    executablePath: cfg.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
    timeout: 60000,
  });
  out.browser_version = browser.version();
  const rootPid = process.pid;
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(cfg.timeout_ms ?? 600000);
  page.on('console', (m) => {
    if (['warning', 'error'].includes(m.type()) || /thread|crossOrigin|SharedArrayBuffer/i.test(m.text()))
      consoleLines.push(`${m.type()}: ${m.text()}`.slice(0, 500));
  });
  page.on('response', (r) => { if (r.status() >= 400) consoleLines.push(`http ${r.status()}: ${r.url()}`.slice(0, 300)); });
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${String(e).slice(0, 500)}`));
  await page.goto(new URL('/bench/js/page.html', cfg.base_url).href);
  await page.waitForFunction(() => window.iaReady === true, null, { timeout: 60000 });
  out.page = await page.evaluate(() => window.iaEnv());
  out.setup = await page.evaluate(([m, o, t]) => window.iaRunner.setup(m, o, t), [cfg.module, cfg.opts, texts]);
  out.first = await page.evaluate(() => window.iaRunner.first());
  out.runs = [];
  for (const b of cfg.batches) {
    const c0 = cpuSeconds(rootPid);
    const w0 = performance.now();
    const r = await page.evaluate(([b, i, w]) => window.iaRunner.passes(b, i, w), [b, cfg.iters, cfg.warmup]);
    const wall = (performance.now() - w0) / 1e3;
    const c1 = cpuSeconds(rootPid);
    r.cpu_s = c1.t - c0.t;
    r.wall_s = wall;
    r.cpu_util = r.cpu_s / wall;
    r.cpu_util_by_type = Object.fromEntries(Object.keys(c1.by).map((k) => [k, (c1.by[k] - (c0.by[k] ?? 0)) / wall]));
    out.runs.push(r);
  }
  out.page_after = await page.evaluate(() => ({ ...window.iaEnv(), workers_list: window.iaWorkers, errors: window.iaErrors }));
} catch (e) {
  out.error = String(e?.stack ?? e).slice(0, 4000);
}
out.console = consoleLines.slice(0, 50);
try { await browser?.close(); } catch { /* */ }
// exit only once the line is flushed (stdout is a pipe: writes are async)
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(out.error ? 1 : 0));
