// Internal indicators in the browser, against the real `observatoire serve` on the real
// Val-de-Marne boundaries with the crafted fixture of crates/server/tests/fixtures/internal/
// (three internal indicators of invented departmental data) and a server.toml holding one
// token's SHA-256, all written to a temporary folder (the repository is not touched):
// the public page lists no internal indicator and cannot open one; signing in on /connexion
// with the token lists them, labelled « interne », and draws one in its legend colours;
// signing out hides them again. A wrong token is refused. Any console error (CSP included)
// fails. Screenshots: target/e2e-artifacts/access-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CHROMIUM_ARGS, ROOT, launchBrowser, screenshot, startServer, tempDir, watchConsole,
} from './helpers.mjs';

const WEBGL_ARGS = [...CHROMIUM_ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const READY_TIMEOUT = 90_000;
const TOKEN = 'jeton-e2e-5b1f0c93d7a4';
const INTERNAL = ['rsa_allocataires', 'rsa_part', 'ase_mesures'];
const TERRITORY = path.join(ROOT, 'boundaries', 'val-de-marne');
const FIXTURES = path.join(ROOT, 'crates', 'server', 'tests', 'fixtures', 'internal');

let tmp;
let server;
let browser;

/** The territory's configuration, catalogue + fixture, and settings with the token, in `dir`. */
function writeConfiguration(dir) {
  let config = readFileSync(path.join(TERRITORY, 'observatoire.toml'), 'utf8');
  // Paths relative to the territory's folder become absolute; `indicators` and `server` stay
  // relative, so they name the files written here.
  config = config.replace(/^(data_dir|iris_to_es|es|territoires)(\s*=\s*)"([^"]*)"/gm,
    (_, key, eq, p) => `${key}${eq}${JSON.stringify(path.resolve(TERRITORY, p))}`);
  assert.match(config, /^indicators = "indicators.toml"$/m);
  assert.match(config, /^server = "server.toml"$/m);
  writeFileSync(path.join(dir, 'observatoire.toml'), config);

  const catalogue = readFileSync(path.join(TERRITORY, 'indicators.toml'), 'utf8')
    .replace(/^references = "([^"]*)"/m, (_, p) => `references = ${JSON.stringify(path.join(TERRITORY, p))}`);
  const internal = readFileSync(path.join(FIXTURES, 'indicators-internes.toml'), 'utf8')
    .replaceAll('@FIXTURES@', FIXTURES);
  writeFileSync(path.join(dir, 'indicators.toml'), `${catalogue}\n${internal}`);

  const sha = createHash('sha256').update(TOKEN).digest('hex');
  writeFileSync(path.join(dir, 'server.toml'), `[access]\ntokens = [{ name = "e2e", sha256 = "${sha}" }]\n`);
  return path.join(dir, 'observatoire.toml');
}

before(async () => {
  tmp = tempDir();
  const config = writeConfiguration(tmp.dir);
  // Builds the bundle first (absent), with the internal indicators.
  server = await startServer({ bundle: path.join(tmp.dir, '94-interne.bundle'), args: ['--config', config] });
  browser = await launchBrowser({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, args: WEBGL_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmp) tmp.remove();
});

async function waitReady(page, { indicator, level } = {}) {
  await page.waitForFunction(([ind, lvl]) => {
    const m = document.querySelector('#map');
    if (!m || m.dataset.state !== 'ready') return false;
    const [i, l] = (m.dataset.choice || '').split('|');
    return (!ind || i === ind) && (!lvl || l === lvl);
  }, [indicator, level], { timeout: READY_TIMEOUT });
}

/** [value, text] of every option of the indicator list, once the catalogue has filled it. */
async function indicatorOptions(page) {
  await page.waitForFunction(() => document.querySelectorAll('#indicator option').length > 5);
  return page.$$eval('#indicator option', (os) => os.map((o) => [o.value, o.textContent]));
}

/** JSON of the server, with the token (Node's fetch, not the browser's). */
async function apiWithToken(p) {
  const r = await fetch(`${server.base}${p}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200, `${p}: ${r.status}`);
  assert.equal(r.headers.get('cache-control'), 'private, no-store', p);
  return r.json();
}

/** Pixels of the WebGL canvas at the interior point of each zone: [{ code, rgb, feature }]. */
function samplePixels(page, places) {
  return page.evaluate((pts) => new Promise((resolve) => {
    const { map } = window.observatoire;
    map.once('render', () => {
      const canvas = map.getCanvas();
      const ratio = canvas.width / canvas.clientWidth;
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(canvas, 0, 0);
      const out = [];
      for (const p of pts) {
        const xy = map.project(p.point);
        if (xy.x < 3 || xy.y < 3 || xy.x > canvas.clientWidth - 3 || xy.y > canvas.clientHeight - 3) continue;
        const f = map.queryRenderedFeatures([xy.x, xy.y], { layers: ['choroplethe'] })[0];
        const d = ctx.getImageData(Math.round(xy.x * ratio) - 2, Math.round(xy.y * ratio) - 2, 5, 5).data;
        const freq = new Map();
        for (let i = 0; i < d.length; i += 4) {
          const k = `${d[i]},${d[i + 1]},${d[i + 2]}`;
          freq.set(k, (freq.get(k) || 0) + 1);
        }
        const best = [...freq.entries()].sort((a, b) => b[1] - a[1])[0][0];
        out.push({ code: p.code, rgb: best.split(',').map(Number), feature: f ? String(f.id) : null });
      }
      resolve(out);
    });
    map.triggerRepaint();
  }), places.map((p) => ({ code: p.code, point: p.point })));
}

const hexRgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 3);

function classOf(breaks, v) {
  const eps = 1e-6;
  const n = breaks.length - 1;
  if (v < breaks[0] - eps || v > breaks[n] + eps) return null;
  for (let i = 0; i < n - 1; i += 1) if (v < breaks[i + 1] - eps) return i;
  return n - 1;
}

async function assertPublic(page) {
  const options = await indicatorOptions(page);
  const values = options.map(([v]) => v);
  assert.ok(values.includes('chomage_15_64'), values.join(' '));
  for (const id of INTERNAL) assert.ok(!values.includes(id), `${id} listed for the public`);
  assert.ok(!options.some(([, t]) => /interne/.test(t)), 'no option labelled « interne »');
  assert.equal(await page.getAttribute('body', 'data-internal'), 'false');
  assert.equal(await page.isVisible('a.access-link'), true, 'the « Connexion » link');
  assert.equal(await page.textContent('a.access-link'), 'Connexion');
  assert.equal(await page.locator('text=Connecté').count(), 0);
  // The browser's own requests (cookies included) cannot open an internal indicator.
  const status = await page.evaluate(async () => (await fetch('api/indicators/rsa_part?level=commune')).status);
  assert.equal(status, 404);
}

test('public page, sign-in, internal indicator drawn, sign-out', async () => {
  const page = await browser.context.newPage();
  const errors = watchConsole(page);

  // 1. The public.
  await page.goto(`${server.base}/`);
  await waitReady(page, { indicator: 'chomage_15_64', level: 'commune' });
  await assertPublic(page);
  await screenshot(page, 'access-public');

  // A wrong token is refused, without detail.
  await page.click('a.access-link');
  await page.waitForURL((u) => u.pathname === '/connexion');
  assert.match(await page.title(), /^Connexion — Observatoire social du Val-de-Marne$/);
  await page.fill('#jeton', 'jeton-faux');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/connexion') && r.request().method() === 'POST'),
    page.click('main button[type=submit]'),
  ]);
  assert.equal(refused.status(), 401);
  await page.waitForSelector('p.error');
  assert.equal((await page.textContent('p.error')).trim(), 'Jeton refusé.');
  await screenshot(page, 'access-connexion-refusee');

  // 2. Signed in with the token: back on the map, internal indicators listed « interne ».
  await page.fill('#jeton', TOKEN);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/', { timeout: READY_TIMEOUT }),
    page.click('main button[type=submit]'),
  ]);
  await waitReady(page, { indicator: 'chomage_15_64', level: 'commune' });
  assert.equal(await page.getAttribute('body', 'data-internal'), 'true');
  assert.match(await page.textContent('header.bar'), /Connecté \(indicateurs internes visibles\)/);
  assert.equal(await page.isVisible('form.access button'), true, 'the « Se déconnecter » button');
  assert.equal((await page.textContent('form.access button')).trim(), 'Se déconnecter');
  const options = await indicatorOptions(page);
  for (const id of INTERNAL) {
    const o = options.find(([v]) => v === id);
    assert.ok(o, `${id} listed once signed in`);
    assert.match(o[1], /« interne »$/, o[1]);
  }
  assert.ok(!options.find(([v]) => v === 'chomage_15_64')[1].includes('interne'));

  // The internal rate draws: legend of the server's classes, zones in their legend colours.
  await page.selectOption('#indicator', 'rsa_part');
  await waitReady(page, { indicator: 'rsa_part', level: 'commune' });
  assert.match(await page.textContent('#legend-title'), /Part des ménages allocataires du RSA/);
  assert.match(await page.textContent('#subtitle'), /interne/);
  const classes = await apiWithToken('/api/classify?indicator=rsa_part&level=commune');
  const rows = await page.$$eval('#legend-body ul.classes li.class', (lis) => lis.map((li) => li.querySelector('.swatch').dataset.color));
  assert.equal(rows.length, classes.colors.length);
  const values = new Map((await apiWithToken('/api/indicators/rsa_part?level=commune')).records.map((r) => [r.code, r.value]));
  const { places } = await (await fetch(`${server.base}/api/places/commune`)).json();
  const samples = await samplePixels(page, places);
  let checked = 0;
  let matching = 0;
  for (const s of samples) {
    if (s.feature !== s.code) continue;
    const v = values.get(s.code);
    const expected = v === null ? classes.missing_color : classes.colors[classOf(classes.breaks, v)];
    checked += 1;
    if (close(s.rgb, hexRgb(expected))) matching += 1;
  }
  assert.ok(checked >= 30, `only ${checked} communes sampled`);
  assert.ok(matching >= checked * 0.95, `${matching}/${checked} communes in their legend colour`);
  // A count draws as circles.
  await page.selectOption('#indicator', 'rsa_allocataires');
  await waitReady(page, { indicator: 'rsa_allocataires', level: 'commune' });
  assert.equal(await page.evaluate(() => Boolean(window.observatoire.map.getLayer('cercles'))), true);
  await screenshot(page, 'access-signed-in');

  // 3. Signed out: the internal indicators are gone, a permalink to one falls back.
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/', { timeout: READY_TIMEOUT }),
    page.click('form.access button'),
  ]);
  await waitReady(page, { indicator: 'chomage_15_64', level: 'commune' });
  await assertPublic(page);
  const cookies = await browser.context.cookies(server.base);
  assert.ok(!cookies.some((c) => c.name === 'observatoire_jeton' && c.value), JSON.stringify(cookies));
  await page.goto(`${server.base}/?indicator=rsa_part&level=commune`);
  // The page falls back to the default map (the internal id is unknown to the public).
  await waitReady(page, { indicator: 'chomage_15_64', level: 'commune' });
  await assertPublic(page);
  await screenshot(page, 'access-signed-out');

  // The only failed loads are the ones this test asked for: the internal indicator for the
  // public (404) and the wrong token (401).
  const expected = (e) => /^Failed to load resource: the server responded with a status of (404|401)/.test(e.text)
    && /\/(api\/indicators\/rsa_part\?|styles\/rsa_part\.json\?|connexion$)/.test(e.url);
  assert.deepEqual(errors.filter((e) => !expected(e)), []);
  await page.close();
});

test('the sign-in cookie is HttpOnly and SameSite=Strict', async () => {
  const page = await browser.context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${server.base}/connexion`);
  await page.fill('#jeton', TOKEN);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/', { timeout: READY_TIMEOUT }),
    page.click('main button[type=submit]'),
  ]);
  const cookie = (await browser.context.cookies(server.base)).find((c) => c.name === 'observatoire_jeton');
  assert.ok(cookie, 'cookie set');
  assert.equal(cookie.value, TOKEN);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  assert.equal(await page.evaluate(() => document.cookie), '', 'not readable by scripts');
  await waitReady(page, {});
  await page.click('form.access button');
  await page.waitForSelector('a.access-link');
  assert.deepEqual(errors, []);
  await page.close();
});
