import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startApiStack, type ApiStack, type ApiStackOptions, type TestUser } from './api';

/**
 * The web pages in a real browser: Debian's Chromium (installed by .ci/run; CHROMIUM_PATH overrides) driven by
 * playwright-core, against the real API (PostgreSQL, Temporal dev server, workers) serving the built pages
 * (`npm run build:web`, run by `npm test` before jest). Every page a test visits can be checked by axe-core and
 * photographed into screenshots/ (git-ignored; the README embeds copies from docs/screenshots/).
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = path.join(__dirname, '..', '..', 'screenshots');
const AXE_SCRIPT = require.resolve('axe-core/axe.min.js');

export const DESKTOP = { width: 1280, height: 900 };
export const TABLET = { width: 820, height: 1180 };

export interface WebStack {
  api: ApiStack;
  baseUrl: string;
  browser: Browser;
  /** A browser context (its own cookies) signed in as `as` through POST /api/session; none: signed out. */
  newPage(as?: TestUser, viewport?: { width: number; height: number }): Promise<Page>;
  /** Uncaught errors of the pages' scripts so far (each test expects none). */
  pageErrors: string[];
  teardown(): Promise<void>;
}

export async function startWebStack(options: ApiStackOptions = {}): Promise<WebStack> {
  if (!fs.existsSync(path.join(__dirname, '..', '..', 'web', 'dist', 'index.html'))) {
    throw new Error('The web pages are not built: run `npm run build:web` (npm test does it first).');
  }
  const api = await startApiStack(options);
  const server: Server = await new Promise((resolve) => {
    const s = api.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // --lang: French for the browser's own texts (headless Chromium still draws date inputs as mm/dd/yyyy).
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--lang=fr-FR'] });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  return {
    api,
    baseUrl,
    browser,
    newPage: async (as, viewport = DESKTOP) => {
      // bypassCSP: axe-core is injected as an inline script, which the service's CSP forbids (as it should).
      const context = await browser.newContext({
        baseURL: baseUrl,
        locale: 'fr-FR',
        timezoneId: 'Europe/Paris',
        viewport,
        bypassCSP: true,
      });
      contexts.push(context);
      if (as) {
        const response = await context.request.post('/api/session', { data: { token: as.token } });
        if (response.status() !== 201) throw new Error(`sign-in failed: ${response.status()} ${await response.text()}`);
      }
      const page = await context.newPage();
      // A script error in a page fails the test that caused it, with the browser's message.
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      // A page that failed to render (web/src/components/route-error.tsx says so on the console).
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().startsWith('page error')) {
          pageErrors.push(`${page.url()}: ${message.text()}`);
        }
      });
      return page;
    },
    pageErrors,
    teardown: async () => {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await api.teardown();
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  // Runs in the page (a string: the test's TypeScript knows no DOM).
  const violations = (await page.evaluate(`axe
    .run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
      resultTypes: ['violations'],
    })
    .then((result) => result.violations)`)) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ ...v, nodes: v.nodes.slice(0, 3) }));
}

/** Writes the page (all of it) to screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The page passes axe-core (no serious or critical violation) and is photographed. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect({ page: name, violations: await seriousViolations(page) }).toEqual({ page: name, violations: [] });
}

/** An amount as the pages print it (`format.money`): « 1 234,56 € », with the French spaces. */
export const euros = (cents: number): string =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
