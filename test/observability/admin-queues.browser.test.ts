import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminQueuesHandler } from '../../src/observability/admin-queues.ts';
import { startHealthServer } from '../../src/observability/health-server.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHAT_QUEUE } from '../../src/queue/queue-names.ts';
import { reply } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

/**
 * The queue board in a real headless browser (Debian's Chromium, driven by puppeteer-core, never
 * a downloaded browser): with the token it shows the chat queue and a finished answer; without
 * it, 401. `OFOX_UPDATE_SCREENSHOTS=1` refreshes the README's picture (docs/images/admin-queues.png).
 */

/** The page's global, for the functions puppeteer runs in the browser (the project compiles without the DOM library). */
declare const document: { body: { innerText: string } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`admin-queues browser test skipped: no Chromium at ${CHROMIUM} (install Debian's "chromium" package, as .ci/run does, or set CHROMIUM_PATH)`);
}

const TOKEN = 'browser-admin-token-0123456789';
const screenshotPath = process.env.OFOX_UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/images/admin-queues.png', import.meta.url))
  : join(tmpdir(), `ofox-admin-queues-${process.pid}.png`);

let pipeline: Pipeline;
let health: Server;
let browser: Browser;
let profile: string;
let jobId: string;
let base: string;

describe.skipIf(!hasChromium)('the queue board in a browser', () => {
  beforeAll(async () => {
    const platform = new RecordingPlatform();
    pipeline = await startPipeline({ ports: [platform] });
    pipeline.fakeOfox.enqueue(reply('The build is green.'));
    const placeholder = await platform.postPlaceholder('board-channel');
    ({ jobId } = await pipeline.services.enqueue({
      v: 1,
      eventId: `board-${Date.now()}`,
      platform: 'recording',
      workspaceId: 'team',
      channelId: 'board-channel',
      userId: 'asker',
      prompt: 'how is the build?',
      placeholder,
      createdAt: Date.now(),
    }));
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');

    health = await startHealthServer({
      port: 0,
      ready: async () => true,
      log: silentLogger(),
      adminQueues: createAdminQueuesHandler({ token: TOKEN, queues: [pipeline.core.producer.queue] }),
    });
    base = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'ofox-chromium-'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: profile,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    health?.close();
    await pipeline?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('opens with the token, shows the chat queue and the finished answer', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    const opened = await page.goto(`${base}/admin/queues?token=${TOKEN}`, { waitUntil: 'networkidle0' });
    // The token left the address for a session cookie.
    expect(opened?.status()).toBe(200);
    expect(new URL(page.url()).search).toBe('');
    await page.waitForFunction((name) => document.body.innerText.includes(name), { timeout: 15_000 }, CHAT_QUEUE);

    await page.goto(`${base}/admin/queues/queue/${CHAT_QUEUE}?status=completed`, { waitUntil: 'networkidle0' });
    await page.waitForFunction((id) => document.body.innerText.includes(id), { timeout: 15_000 }, jobId);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain('how is the build?');
    expect(text).not.toContain(TOKEN);

    mkdirSync(join(screenshotPath, '..'), { recursive: true });
    await page.screenshot({ path: screenshotPath as `${string}.png`, fullPage: false });
    expect(readFileSync(screenshotPath).subarray(1, 4).toString('latin1')).toBe('PNG');
    await page.close();
  });

  it('answers 401 to a browser without the token', async () => {
    const stranger = await browser.createBrowserContext();
    try {
      const page = await stranger.newPage();
      const response = await page.goto(`${base}/admin/queues`);
      expect(response?.status()).toBe(401);
      expect(await page.evaluate(() => document.body.innerText)).toContain('Unauthorized');
      const api = await page.goto(`${base}/admin/queues/api/queues`);
      expect(api?.status()).toBe(401);
    } finally {
      await stranger.close();
    }
  });
});
