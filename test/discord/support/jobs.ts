import { chatJobSchema, type ChatJob, type ChatJobInput } from '../../../src/queue/chat-job.ts';
import type { FakeDiscord } from '../../fakes/discord/index.ts';

/** A valid Discord job in the fake's default channel; override what the test is about. */
export function discordJob(fake: FakeDiscord, overrides: Partial<ChatJobInput> = {}): ChatJob {
  return chatJobSchema.parse({
    v: 1,
    eventId: overrides.eventId ?? overrides.messageId ?? String(Date.now()),
    platform: 'discord',
    workspaceId: fake.guild.id,
    channelId: fake.channel.id,
    userId: fake.alice.id,
    prompt: 'hello',
    createdAt: Date.now(),
    ...overrides,
  });
}

/** Acknowledges an interaction with a deferred reply, as ingress would, straight against the fake. */
export async function deferInteraction(fake: FakeDiscord, interaction: { id: string; token: string }, ephemeral = false): Promise<string> {
  const response = await fetch(`${fake.apiUrl}/v10/interactions/${interaction.id}/${interaction.token}/callback?with_response=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 5, data: { flags: ephemeral ? 64 : 0 } }),
  });
  const body = (await response.json()) as { interaction: { response_message_id: string } };
  return body.interaction.response_message_id;
}
