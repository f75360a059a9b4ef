// The pages work under the server's Content-Security-Policy: the map page (MapLibre GL JS,
// its blob: workers, WebGL), the « Quel Espace de Solidarité ? » page and the sign-in page are
// served with the policy, and the browser reports no violation while they load and draw
// (`securitypolicyviolation` events, recorded from before the first script runs, and console
// messages). A control checks that the recording works: an inline style added on purpose is
// reported.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  CHROMIUM_ARGS, launchBrowser, startServer, tempDir, watchConsole,
} from './helpers.mjs';

const WEBGL_ARGS = [...CHROMIUM_ARGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

let tmp;
let server;
let browser;

before(async () => {
  tmp = tempDir();
  server = await startServer({ bundle: path.join(tmp.dir, '94.bundle') });
  browser = await launchBrowser({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, args: WEBGL_ARGS });
  // Every CSP violation of every page, from before the page's own scripts.
  await browser.context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmp) tmp.remove();
});

async function open(p) {
  const page = await browser.context.newPage();
  const errors = watchConsole(page);
  const resp = await page.goto(`${server.base}${p}`);
  const csp = resp.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'self'/, `${p}: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(resp.headers()['x-content-type-options'], 'nosniff');
  return { page, errors };
}

test('the map page draws under the CSP without any violation', async () => {
  const { page, errors } = await open('/');
  await page.waitForFunction(() => document.querySelector('#map')?.dataset.state === 'ready', null, { timeout: 90_000 });
  // Let the workers fetch and parse some tiles.
  await page.waitForTimeout(1000);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
  // Control: an inline style is refused and reported (the check above would have seen it).
  await page.evaluate(() => {
    const s = document.createElement('style');
    s.textContent = 'body { outline: 1px solid red; }';
    document.head.appendChild(s);
  });
  await page.waitForFunction(() => window.__csp.length > 0);
  assert.match((await page.evaluate(() => window.__csp))[0], /style-src/);
  await page.close();
});

test('the ES page and the sign-in page load under the CSP without any violation', async () => {
  const { page, errors } = await open('/es');
  await page.fill('#q', 'créteil');
  await page.waitForFunction(() => document.querySelectorAll('#suggestions li').length > 0);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
  assert.deepEqual(errors, []);
  await page.close();

  const r = await fetch(`${server.base}/connexion`);
  if (r.status === 200) {
    const { page: p2, errors: e2 } = await open('/connexion');
    await p2.waitForLoadState('load');
    assert.deepEqual(await p2.evaluate(() => window.__csp), []);
    assert.deepEqual(e2, []);
    await p2.close();
  }
});
