// The « Quel Espace de Solidarité ? » page (/es) in headless Chromium, against the real server
// on the real Val-de-Marne bundle: search and pick a suggestion, keyboard and typos, a BAN
// address, a shareable link, « Me localiser » with the geolocation mocked through the
// browser's API, a point outside the département, a commune split between two ES.
// Any console error fails a test (except the one expected 404 of the outside case).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  launchBrowser, runObservatoire, screenshot, startServer, tempDir, watchConsole,
} from './helpers.mjs';

// Two rows in the official BAN format; positions are real points of
// derived/bpe-94-lookup-sample.csv (IRIS 940280211 and 940280206 of Créteil).
const BAN = [
  'id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles',
  '94028_1490_00012;94028_1490;12;;Avenue du Général de Gaulle;94000;94028;Créteil;;;659169.09;6853841.2;2.4442979;48.783368;entrée;;;CRETEIL;AVENUE DU GENERAL DE GAULLE;commune;commune;1;',
  '94028_1490_00030;94028_1490;30;;Avenue du Général de Gaulle;94000;94028;Créteil;;;660240.2;6852681.9;2.4589832;48.7730086;entrée;;;CRETEIL;AVENUE DU GENERAL DE GAULLE;commune;commune;1;',
].join('\n') + '\n';

let tmp;
let server;
let browser;

before(async () => {
  tmp = tempDir();
  const bundle = path.join(tmp.dir, '94.bundle');
  const banFile = path.join(tmp.dir, 'adresses-94.csv');
  writeFileSync(banFile, BAN);
  // Builds the bundle (absent) then imports the addresses beside it.
  const imported = await runObservatoire(['--bundle', bundle, 'import-addresses', banFile, '--quiet']);
  assert.equal(imported.code, 0, imported.stderr);
  server = await startServer({ bundle });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (tmp) tmp.remove();
});

async function openPage(query = '') {
  const page = await browser.context.newPage();
  const errors = watchConsole(page);
  await page.goto(`${server.base}/es${query}`);
  return { page, errors };
}

async function typeAndWait(page, text) {
  await page.fill('#q', '');
  await page.type('#q', text, { delay: 15 });
  await page.waitForFunction(
    (t) => document.querySelector('#q').value === t && document.querySelectorAll('#suggestions li').length > 0,
    text,
  );
}

const cardText = (page, id) => page.textContent(`#${id}`).then((t) => t.trim());

test('search « creteil », pick the first suggestion, see the ES card with its map', async () => {
  const { page, errors } = await openPage();
  assert.equal(await page.title(), 'Quel Espace de Solidarité ? — Observatoire social du Val-de-Marne');
  await typeAndWait(page, 'creteil');
  const names = await page.$$eval('#suggestions li .sugg-name', (els) => els.map((e) => e.textContent));
  assert.equal(names[0], 'Créteil');
  assert.ok(names.includes('Espace de Solidarité de Créteil'), names.join(' | '));
  assert.ok(names.includes('Mairie de Créteil'), names.join(' | '));
  await page.click('#suggestions li:first-child');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await cardText(page, 'es-name'), 'Espace de Solidarité de Créteil');
  assert.match(await cardText(page, 'es-address'), /94000 Créteil/);
  assert.match(await cardText(page, 'es-hours'), /lun\.–ven\./);
  assert.equal(await cardText(page, 'commune'), 'Créteil (94028)');
  assert.match(await cardText(page, 'territoire'), /^Territoire Centre/);
  assert.equal(await page.isVisible('#illustrative'), true, 'the illustrative composition is labelled');
  assert.equal(await page.locator('#map path.perimeter').count(), 1);
  assert.equal(await page.locator('#map-point').count(), 0, 'a commune pick shows no point');
  assert.equal(await page.isVisible('#row-iris'), false, 'no IRIS row for a whole commune');
  assert.equal(await page.isVisible('#row-place'), false);
  assert.match(page.url(), /\/es\?commune=94028$/);
  await screenshot(page, 'es-search-creteil');
  assert.deepEqual(errors, []);
  await page.close();
});

test('typo and keyboard: « Créteuil », arrow down, Enter picks the highlighted suggestion', async () => {
  const { page, errors } = await openPage();
  await typeAndWait(page, 'Créteuil');
  assert.equal(await page.textContent('#suggestions li:first-child .sugg-name'), 'Créteil');
  assert.equal(await page.getAttribute('#suggestions li:first-child', 'aria-selected'), 'true');
  await page.keyboard.press('ArrowDown');
  const second = await page.textContent('#suggestions li[aria-selected=true] .sugg-name');
  assert.equal(second, 'Espace de Solidarité de Créteil');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await cardText(page, 'es-name'), 'Espace de Solidarité de Créteil');
  assert.match(page.url(), /\/es\?es=ES10$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a BAN address: card with IRIS and point on the map; the shareable link reopens it', async () => {
  const { page, errors } = await openPage();
  await typeAndWait(page, '12 av du gal de gaulle creteil');
  const first = await page.$eval('#suggestions li:first-child', (li) => ({
    kind: li.dataset.kind, name: li.querySelector('.sugg-name').textContent,
  }));
  assert.deepEqual(first, { kind: 'adresse', name: '12 Avenue du Général de Gaulle' });
  await page.click('#suggestions li:first-child');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await cardText(page, 'es-name'), 'Espace de Solidarité de Créteil');
  assert.match(await cardText(page, 'iris'), /\(940280211\)$/);
  assert.match(await cardText(page, 'place'), /12 Avenue du Général de Gaulle/);
  assert.equal(await page.locator('#map-point').count(), 1);
  const link = await page.getAttribute('#permalink', 'href');
  assert.match(link, /\/es\?lon=2\.4442979&lat=48\.783368$/);
  await screenshot(page, 'es-address');

  const again = await openPage(link.slice(link.indexOf('?')));
  await again.page.waitForSelector('#card:not([hidden])');
  assert.match(await cardText(again.page, 'iris'), /\(940280211\)$/);
  assert.deepEqual(errors, []);
  assert.deepEqual(again.errors, []);
  await again.page.close();
  await page.close();
});

test('« Me localiser » with the browser geolocation mocked (Villejuif)', async () => {
  const { context } = browser;
  await context.grantPermissions(['geolocation'], { origin: server.base });
  await context.setGeolocation({ latitude: 48.7947614, longitude: 2.364487, accuracy: 15 });
  const { page, errors } = await openPage();
  await page.click('#locate');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await cardText(page, 'es-name'), 'Espace de Solidarité de Villejuif');
  assert.equal(await cardText(page, 'es-address'), '100 avenue de Stalingrad, 94800 Villejuif');
  assert.equal(await cardText(page, 'commune'), 'Villejuif (94076)');
  assert.match(await cardText(page, 'iris'), /\(940760112\)$/);
  assert.match(await cardText(page, 'place'), /^Votre position \(précision 15 m\)$/);
  assert.equal(await page.locator('#map-point').count(), 1);
  await screenshot(page, 'es-geolocation');
  assert.deepEqual(errors, []);
  await page.close();
});

test('« Me localiser » in Paris: a clear message, no card', async () => {
  const { context } = browser;
  await context.grantPermissions(['geolocation'], { origin: server.base });
  await context.setGeolocation({ latitude: 48.8534, longitude: 2.3488 });
  const { page, errors } = await openPage();
  await page.click('#locate');
  await page.waitForFunction(() => document.querySelector('#status').textContent.includes('hors du Val-de-Marne'));
  assert.equal(await page.isVisible('#card'), false);
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  // The only console error is the browser's report of the expected 404 of /api/lookup.
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0].text, /404/);
  assert.match(errors[0].url, /\/api\/lookup\?lon=2\.3488&lat=48\.8534$/);
  await page.close();
});

test('a commune split between two ES offers both, then shows the chosen one', async () => {
  const { page, errors } = await openPage();
  await typeAndWait(page, 'champigny');
  assert.equal(await page.textContent('#suggestions li:first-child .sugg-name'), 'Champigny-sur-Marne');
  await page.click('#suggestions li:first-child');
  await page.waitForSelector('#choice:not([hidden])');
  const options = await page.$$eval('#choice-list button', (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(options.sort(), ['Espace de Solidarité de Champigny-Centre', 'Espace de Solidarité de Champigny-Haut']);
  await page.click('#choice-list button:has-text("Champigny-Haut")');
  await page.waitForSelector('#card:not([hidden])');
  assert.equal(await cardText(page, 'es-name'), 'Espace de Solidarité de Champigny-Haut');
  assert.match(await cardText(page, 'es-communes'), /Champigny-sur-Marne \(en partie\)/);
  await screenshot(page, 'es-split-commune');
  assert.deepEqual(errors, []);
  await page.close();
});
