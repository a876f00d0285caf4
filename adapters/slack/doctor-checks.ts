import type { Config } from '../../src/config.ts';
import type { PlatformDoctorCheck } from '../../src/runtime/platform.ts';

/** @defaultValue 10 s: a doctor run should never hang on one service. */
const TIMEOUT_MS = 10_000;

/** The bot token works (`auth.test`), and names the bot and workspace (never the token). */
export function slackDoctorChecks(config: Config): PlatformDoctorCheck[] {
  return [
    {
      name: 'slack',
      async run() {
        const base = config.SLACK_API_URL ?? 'https://slack.com/api';
        const response = await fetch(`${base}/auth.test`, {
          method: 'POST',
          headers: { authorization: `Bearer ${config.SLACK_BOT_TOKEN}` },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        const body = (await response.json()) as { ok?: boolean; error?: string; team?: string; user?: string };
        if (!body.ok) throw new Error(`Slack refused the token: ${body.error ?? response.status}`);
        return `${body.user} in ${body.team}`;
      },
    },
  ];
}
