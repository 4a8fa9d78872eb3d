/**
 * The local explorer in a real browser: Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
 * driven by playwright-core, with a fresh profile and Chromium's own background traffic turned off.
 *
 * `/` links to GraphiQL; GraphiQL opens with the development key pre-filled, runs `{ me { id } }`
 * twice and its response pane shows the cache report's HIT; every request the browser made went to
 * the server on 127.0.0.1 (nothing from a CDN). Without a key to offer (outside development), a
 * placeholder is pre-filled; in production (no Sandbox), there is no explorer.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The text of the CodeMirror editor inside `selector` (the whole document, not only the lines on screen). */
function editorText(page: Page, selector: string): Promise<string> {
  return page.$eval(`${selector} .CodeMirror`, (el) =>
    (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
  );
}

describe('GraphiQL at /graphiql, in Chromium', () => {
  let t: TestApp;
  let context: BrowserContext;
  let profile: string;
  const requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    t = await startTestApp({ env: { NODE_ENV: 'development' } });
    profile = mkdtempSync(join(tmpdir(), 'graphiql-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    context.on('request', (request) => void requested.push(request.url()));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('/ links to Apollo Sandbox and to GraphiQL', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${t.baseUrl}/`);
    expect(response?.status()).toBe(200);
    expect(await page.getAttribute('a:text("Apollo Sandbox")', 'href')).toBe('/graphql');
    await page.click('a:text("GraphiQL")');
    await page.waitForURL(`${t.baseUrl}/graphiql`);
    await page.waitForSelector('.graphiql-container');
    await page.close();
  }, 60_000);

  it('pre-fills the key, runs { me { id } } twice: the response pane shows HIT; no request left the machine', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => void errors.push(error.message));
    await page.goto(`${t.baseUrl}/graphiql`);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');

    // the headers editor holds the development key (SEED_ADMIN_API_KEY here)
    expect(JSON.parse(await editorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)'))).toEqual({
      Authorization: `Bearer ${t.adminKey}`,
    });

    await page.$eval('.graphiql-query-editor .CodeMirror', (el) =>
      (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue('{ me { id } }'),
    );
    // GraphiQL has taken the edit when the tab's title (the operation's name, "Me" before) changes
    await page.waitForFunction(() => document.querySelector('.graphiql-tab')?.textContent?.includes('<untitled>'));
    /** Clicks the run button, waits for the query's answer, then for the pane to show `status`. */
    const run = async (status: 'MISS' | 'HIT') => {
      const answered = page.waitForResponse((r) => {
        if (r.url() !== t.url || r.request().method() !== 'POST') return false;
        return (JSON.parse(r.request().postData() ?? '{}') as { query?: string }).query === '{ me { id } }';
      });
      await page.click('.graphiql-execute-button');
      await answered;
      const shown = `"status": "${status}"`;
      await page
        .waitForFunction((text) => {
          const el = document.querySelector('.graphiql-response .CodeMirror') as unknown as {
            CodeMirror?: { getValue(): string };
          } | null;
          return (el?.CodeMirror?.getValue() ?? '').includes(text);
        }, shown)
        .catch(async (error: Error) => {
          throw new Error(
            `${error.message}\nthe response pane shows:\n${await editorText(page, '.graphiql-response')}`,
          );
        });
      return JSON.parse(await editorText(page, '.graphiql-response'));
    };
    const first = await run('MISS');
    expect(first.data).toEqual({ me: { id: '1' } });
    expect(first.extensions.cache).toMatchObject({ status: 'MISS', hits: 0, misses: 1 });
    const second = await run('HIT');
    expect(second.data).toEqual({ me: { id: '1' } });
    expect(second.extensions.cache).toMatchObject({ status: 'HIT', hits: 1, misses: 0 });
    // and as a person sees it: the pane's rendered text
    expect(await page.locator('.graphiql-response').textContent()).toContain('"HIT"');
    expect(errors).toEqual([]);
    await page.close();

    // every request went to the server on 127.0.0.1: the page, React, GraphiQL, its CSS, the queries
    expect(requested.length).toBeGreaterThan(5);
    const offsite = requested.filter((url) => {
      const { protocol, hostname } = new URL(url);
      if (['data:', 'blob:', 'about:'].includes(protocol)) return false;
      return hostname !== '127.0.0.1' && hostname !== 'localhost';
    });
    expect(offsite).toEqual([]);
    expect(requested).toEqual(
      expect.arrayContaining([
        `${t.baseUrl}/graphiql/assets/graphiql.min.js`,
        `${t.baseUrl}/graphiql/assets/react.production.min.js`,
      ]),
    );
  }, 90_000);
});

describe('the explorer outside development', () => {
  it('pre-fills a placeholder when the server has no key to offer (NODE_ENV=test)', async () => {
    const t = await startTestApp(); // NODE_ENV=test, SEED_ADMIN_API_KEY set: still not offered
    try {
      const html = await (await fetch(`${t.baseUrl}/graphiql`)).text();
      expect(html).toContain('"headers":"{\\"Authorization\\": \\"Bearer \\u003cyour API key\\u003e\\"}"');
      expect(html).not.toContain(t.adminKey);
      const asset = await fetch(`${t.baseUrl}/graphiql/assets/graphiql.min.css`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/^text\/css/);
      expect((await fetch(`${t.baseUrl}/graphiql/assets/nothing.js`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('is not served in production (no Sandbox either)', async () => {
    const t = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      expect((await fetch(`${t.baseUrl}/graphiql`)).status).toBe(404);
      expect((await fetch(`${t.baseUrl}/`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
