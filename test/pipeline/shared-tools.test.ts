import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import { finish, reply, text, toolCall, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

/**
 * Tools a team shares, through the whole pipeline: an MCP server from the config file, approval
 * decided from the gateway side, and per-channel tool settings.
 */

const stdioServer = fileURLToPath(new URL('../fakes/mcp/stdio-server.ts', import.meta.url));
let pipeline: Pipeline;
let platform: RecordingPlatform;
let counter = 0;

function toolResults(request: FakeRequest): Array<{ tool_call_id?: string; content: string }> {
  const messages = (request.body as { messages?: Array<{ role: string; tool_call_id?: string; content: string }> }).messages ?? [];
  return messages.filter((message) => message.role === 'tool');
}

/** First round calls the tool; once a tool result is in the transcript, the model answers. */
function callsThenAnswers(name: string, args: Record<string, unknown>, answer: string) {
  return (request: FakeRequest) => (toolResults(request).length > 0 ? reply(answer) : [toolCall(name, args), finish('tool-calls')]);
}

async function ask(channelId = `tools-${++counter}`, userId = 'asker') {
  const placeholder = await platform.postPlaceholder(channelId);
  const job: ChatJobInput = {
    v: 1,
    eventId: `tools-${counter}-${Date.now()}`,
    platform: 'recording',
    workspaceId: 'team',
    channelId,
    userId,
    prompt: 'use your tools',
    placeholder,
    createdAt: Date.now(),
  };
  const { jobId } = await pipeline.services.enqueue(job);
  return { jobId, placeholder };
}

async function waitForApprovalPrompt(): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pending = platform.approvalPosts.find((post) => post.outcome === undefined);
    if (pending) return pending.prompt.approvalId;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no approval prompt was posted');
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ofox-shared-tools-'));
  const configFile = join(dir, 'ofox-bot.config.yaml');
  writeFileSync(
    configFile,
    [
      'tools:',
      '  calculator:',
      '    requiresApproval: true',
      '  fake__slow:',
      '    enabledByDefault: false',
      'mcpServers:',
      '  fake:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: ["--experimental-strip-types", "--no-warnings", ${JSON.stringify(stdioServer)}]`,
    ].join('\n'),
  );
  platform = new RecordingPlatform({ approvals: true });
  pipeline = await startPipeline({ ports: [platform], env: { OFOX_BOT_CONFIG: configFile, TOOL_APPROVAL_TIMEOUT_MS: '1500' } });
});

afterAll(async () => {
  await pipeline?.stop();
});

beforeEach(() => {
  pipeline.fakeOfox.reset();
});

describe('team-shared tools through the pipeline', () => {
  it("offers an MCP server's tools to the model, calls them with the model's arguments, and feeds the result to the next round", async () => {
    pipeline.fakeOfox.respond(callsThenAnswers('fake__echo', { text: 'hello from the model' }, 'The server said hello.'));
    const { jobId, placeholder } = await ask();
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    const [first, second] = pipeline.fakeOfox.chatRequests();
    const offered = JSON.stringify((first!.body as { tools?: unknown }).tools);
    expect(offered).toContain('fake__echo');
    expect(toolResults(second!)[0]?.content).toBe('echo: hello from the model');
    expect((await platform.messages()).find((message) => message.id === placeholder.id)?.text).toContain('The server said hello.');
  });

  it('an MCP server that crashes mid-call gives the model an error, and the next job finds it reconnected', async () => {
    pipeline.fakeOfox.respond(callsThenAnswers('fake__crash', {}, 'The tool broke; carrying on.'));
    const crashed = await ask();
    expect((await pipeline.waitForJob(crashed.jobId)).outcome).toBe('complete');
    const failure = toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content ?? '';
    expect(failure.length).toBeGreaterThan(0);
    expect(failure).not.toMatch(/^echo/);

    pipeline.fakeOfox.reset();
    pipeline.fakeOfox.respond(callsThenAnswers('fake__add', { a: 2, b: 3 }, 'Five.'));
    const next = await ask();
    expect((await pipeline.waitForJob(next.jobId, 30_000)).outcome).toBe('complete');
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toContain('5');
  });

  it('a tool that needs approval runs once the asker approves', async () => {
    pipeline.fakeOfox.respond(callsThenAnswers('calculator', { expression: '6*7' }, 'It is 42.'));
    const { jobId } = await ask();
    const approvalId = await waitForApprovalPrompt();
    expect(await pipeline.services.decideApproval({ approvalId, userId: 'stranger', isAdmin: false, decision: 'approve' })).toMatchObject({ status: 'not-allowed' });
    expect(await pipeline.services.decideApproval({ approvalId, userId: 'asker', isAdmin: false, decision: 'approve' })).toMatchObject({ status: 'accepted' });
    await pipeline.waitForJob(jobId);
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toContain('42');
    expect(platform.approvalPosts.find((post) => post.prompt.approvalId === approvalId)).toMatchObject({ outcome: 'approved', decidedBy: 'asker' });
  });

  it('an approval prompt the platform rate-limits is posted once the limit passes, not refused', async () => {
    const busy = new RecordingPlatform({ approvals: true, approvalRateLimits: 2 });
    const saved = platform;
    platform = busy;
    await pipeline.workers!.stop(1_000);
    await pipeline.startWorkers([busy]);
    try {
      pipeline.fakeOfox.respond(callsThenAnswers('calculator', { expression: '3*3' }, 'Nine.'));
      const { jobId } = await ask();
      const approvalId = await waitForApprovalPrompt();
      expect(busy.approvalRefusals).toBe(2);
      await pipeline.services.decideApproval({ approvalId, userId: 'asker', isAdmin: false, decision: 'approve' });
      await pipeline.waitForJob(jobId);
      expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toContain('9');
    } finally {
      platform = saved;
      await pipeline.workers!.stop(1_000);
      await pipeline.startWorkers([saved]);
    }
  });

  it('a denial becomes the tool result and the model carries on', async () => {
    pipeline.fakeOfox.respond(callsThenAnswers('calculator', { expression: '1+1' }, 'Understood, no calculator.'));
    const { jobId, placeholder } = await ask();
    const approvalId = await waitForApprovalPrompt();
    await pipeline.services.decideApproval({ approvalId, userId: 'admin', isAdmin: true, decision: 'deny' });
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toMatch(/denied/i);
    const shown = (await platform.messages()).find((message) => message.id === placeholder.id)?.text ?? '';
    expect(shown).toContain('Understood, no calculator.');
    // People read a short reason on the tool line, not the instruction meant for the model.
    expect(shown).toContain('not approved');
    expect(shown).not.toContain('Do not retry');
  });

  it('an approval nobody answers times out and the model is told', async () => {
    pipeline.fakeOfox.respond(callsThenAnswers('calculator', { expression: '2+2' }, 'Nobody approved; moving on.'));
    const { jobId } = await ask();
    const approvalId = await waitForApprovalPrompt();
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');
    expect(toolResults(pipeline.fakeOfox.requests[1]!)[0]?.content).toMatch(/in time/i);
    expect(platform.approvalPosts.find((post) => post.prompt.approvalId === approvalId)?.outcome).toBe('timed-out');
  });

  it("a channel's tool settings decide what the model is offered, inheriting from the workspace", async () => {
    const scope = { platform: 'recording', workspaceId: 'team', channelId: 'settings-channel' };
    await pipeline.core.settings.update(scope, 'workspace', { tools: { fetch_url: false } });
    await pipeline.core.settings.update(scope, 'channel', { tools: { fake__slow: true } });
    pipeline.fakeOfox.respond(() => [text('ok'), finish('stop')]);
    const { jobId } = await ask('settings-channel');
    await pipeline.waitForJob(jobId);
    const offered = ((pipeline.fakeOfox.requests[0]!.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((tool) => tool.function.name);
    expect(offered).toContain('fake__slow');
    expect(offered).toContain('calculator');
    expect(offered).not.toContain('fetch_url');

    pipeline.fakeOfox.reset();
    pipeline.fakeOfox.respond(() => [text('ok'), finish('stop')]);
    const elsewhere = await ask();
    await pipeline.waitForJob(elsewhere.jobId);
    const offeredElsewhere = ((pipeline.fakeOfox.requests[0]!.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((tool) => tool.function.name);
    // Another channel of the same workspace inherits the workspace's choice, not the channel's.
    expect(offeredElsewhere).not.toContain('fake__slow');
    expect(offeredElsewhere).not.toContain('fetch_url');
    expect(offeredElsewhere).toContain('calculator');
  });
});
