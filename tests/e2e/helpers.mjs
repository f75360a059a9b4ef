// Shared helpers of the browser end-to-end tests (node --test tests/e2e/): start the real
// `observatoire serve` on a free loopback port with a bundle in a temporary folder, launch
// Debian's headless Chromium through playwright-core with a fresh profile, collect console
// errors, save screenshots under target/e2e-artifacts/.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'target', 'e2e-artifacts');
export const BINARY = path.join(ROOT, 'target', 'debug', 'observatoire');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

/** A temporary folder, removed by the returned function. */
export function tempDir(prefix = 'observatoire-e2e-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run the observatoire binary to completion (from the repository root). */
export function runObservatoire(args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BINARY, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`timeout: ${args.join(' ')}`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/**
 * Start `observatoire --bundle BUNDLE serve --addr 127.0.0.1:PORT` (the binary builds the
 * bundle first when it is missing) and wait for /health. Returns { base, stop, logs }.
 */
export async function startServer({ bundle, timeoutMs = 240_000, args = [] }) {
  const port = await freePort();
  // `args`: global options before the subcommand (e.g. ['--config', 'other/observatoire.toml']).
  const child = spawn(BINARY, [...args, '--bundle', bundle, 'serve', '--addr', `127.0.0.1:${port}`], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d) => { logs += d; });
  child.stderr.on('data', (d) => { logs += d; });
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`observatoire serve exited (${JSON.stringify(exited)}):\n${logs}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch (_) { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`observatoire serve not ready after ${timeoutMs} ms:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(t);
  };
  return { base, stop, logs: () => logs };
}

/** Headless Chromium with a fresh profile; `options` go to launchPersistentContext. */
export async function launchBrowser(options = {}) {
  const profile = tempDir('observatoire-chromium-');
  const context = await chromium.launchPersistentContext(profile.dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    locale: 'fr-FR',
    ...options,
  });
  return {
    context,
    close: async () => { await context.close(); profile.remove(); },
  };
}

/** Collect console errors, CSP reports and uncaught page errors of a page. */
export function watchConsole(page) {
  const errors = [];
  page.on('console', (msg) => {
    // A Content-Security-Policy violation is an error even when reported as a warning.
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
      errors.push({ text: msg.text(), url: msg.location().url });
    }
  });
  page.on('pageerror', (e) => errors.push({ text: `uncaught: ${e.message}`, url: '' }));
  return errors;
}

/** Save a full-page screenshot under target/e2e-artifacts/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
