// Map page benchmark: time from navigation to the first choropleth painted, and bytes
// transferred, in headless Chromium (WebGL through SwiftShader, i.e. on the CPU) on loopback.
//
//   node benches/map-page.mjs [--runs 10] [--base http://127.0.0.1:8080] [--bundle PATH]
//
// Without --base, starts `target/release/observatoire --bundle PATH serve` (OBSERVATOIRE_BIN
// to use another binary; the bundle is built when absent) on a free port and stops it after.
// Each run is a fresh browser context (empty cache). The first paint is the page's own
// Performance API mark `observatoire:choropleth`: the first frame MapLibre draws once the
// tiles of the choropleth's level are loaded (its startTime counts from navigation start).
// Bytes are those of every response of the run, headers included, page and worker requests
// (tiles) alike, as Chromium reports them (`request.sizes()`); compressed sizes on the wire.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, freePort, tempDir } from '../tests/e2e/helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('runs', '10'));
let base = opt('base', '');
let server = null;
let tmp = null;

if (!base) {
  const bin = process.env.OBSERVATOIRE_BIN || path.join(ROOT, 'target', 'release', 'observatoire');
  tmp = tempDir('observatoire-bench-');
  const bundle = opt('bundle', path.join(tmp.dir, '94.bundle'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['--bundle', bundle, 'serve', '--addr', `127.0.0.1:${port}`], { cwd: ROOT, stdio: 'ignore' });
  const deadline = Date.now() + 300_000;
  for (;;) {
    try { if ((await fetch(`${base}/health`)).ok) break; } catch (_) { /* starting */ }
    if (Date.now() > deadline) throw new Error('observatoire serve did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [...CHROMIUM_ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const results = [];
for (let i = 0; i < runs + 1; i += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR' });
  const sizes = [];
  context.on('requestfinished', (r) => sizes.push(r.sizes().then((s) => ({
    url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize,
  })).catch(() => null)));
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/`);
  await page.waitForSelector('#map[data-state=ready]', { timeout: 60_000 });
  const t = await page.evaluate(() => {
    const mark = performance.getEntriesByName('observatoire:choropleth')[0];
    const nav = performance.getEntriesByType('navigation')[0];
    return { paint: mark ? mark.startTime : null, dcl: nav.domContentLoadedEventEnd, ready: performance.now() };
  });
  await page.waitForTimeout(200);
  const all = (await Promise.all(sizes)).filter(Boolean);
  const bytes = all.reduce((a, s) => a + s.bytes, 0);
  // Second visit in the same browser: the immutable files come from its cache.
  sizes.length = 0;
  await page.reload();
  await page.waitForSelector('#map[data-state=ready]', { timeout: 60_000 });
  const warm = await page.evaluate(() => performance.getEntriesByName('observatoire:choropleth')[0].startTime);
  await page.waitForTimeout(200);
  const warmBytes = (await Promise.all(sizes)).filter(Boolean).reduce((a, s) => a + s.bytes, 0);
  await context.close();
  if (errors.length) throw new Error(`console errors: ${errors.join(' | ')}`);
  if (i === 0) continue; // warm-up run: server caches, Chromium's shader cache
  results.push({ ...t, bytes, warm, warmBytes, requests: all.length, largest: all.sort((a, b) => b.bytes - a.bytes).slice(0, 3) });
}
// Baseline: the least a MapLibre page can do with the same library and tiles — one HTML page
// with maplibre-gl.js and a map of the commune choropleth layer alone (same style, the other
// layers and sources removed), timed the same way.
const html = await (await fetch(`${base}/`)).text();
const js = html.match(/map\/assets\/[0-9a-f]+\/maplibre-gl\.js/)[0];
const full = await (await fetch(`${base}/styles/chomage_15_64.json?level=commune`)).json();
const bare = {
  ...full,
  layers: full.layers.filter((l) => l.id === 'choroplethe'),
  sources: { commune: full.sources.commune },
};
const baseline = [];
for (let i = 0; i < runs + 1; i += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.route(`${base}/bare`, (r) => r.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><html><body style="margin:0"><div id="m" style="width:950px;height:760px"></div>
<script src="/${js}"></script><script>
const m = new maplibregl.Map({ container: 'm', style: ${JSON.stringify(bare)}, bounds: ${JSON.stringify(full.metadata['observatoire:bounds'])} });
m.on('render', () => { if (!window.paint && m.isSourceLoaded('commune')) window.paint = performance.now(); });
</script></body></html>`,
  }));
  await page.goto(`${base}/bare`);
  await page.waitForFunction(() => window.paint, null, { timeout: 60_000 });
  const paint = await page.evaluate(() => window.paint);
  await context.close();
  if (i > 0) baseline.push(paint);
}
await browser.close();
if (server) server.kill('SIGTERM');
if (tmp) tmp.remove();

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const ms = (x) => `${Math.round(x)} ms`;
console.log(`map page, ${runs} runs (after one warm-up), 1280×800, empty browser cache each run`);
console.log(`first choropleth painted: median ${ms(median(results.map((r) => r.paint)))}, min ${ms(Math.min(...results.map((r) => r.paint)))}, max ${ms(Math.max(...results.map((r) => r.paint)))}`);
console.log(`DOMContentLoaded: median ${ms(median(results.map((r) => r.dcl)))}; map idle: median ${ms(median(results.map((r) => r.ready)))}`);
console.log(`transferred: ${Math.round(median(results.map((r) => r.bytes)) / 1024)} KiB in ${median(results.map((r) => r.requests))} responses (budget 1 536 KiB)`);
console.log(`second visit (browser cache): first paint median ${ms(median(results.map((r) => r.warm)))}, transferred ${Math.round(median(results.map((r) => r.warmBytes)) / 1024)} KiB`);
console.log(`baseline, bare MapLibre page with the commune choropleth only: median ${ms(median(baseline))}, min ${ms(Math.min(...baseline))}`);
console.log(`largest: ${results[0].largest.map((s) => `${s.url.replace(base, '')} ${Math.round(s.bytes / 1024)} KiB`).join(', ')}`);
