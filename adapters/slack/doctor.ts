import type { DoctorCheck } from '../../src/runtime/platform.ts';
/**
 * `ofox-bot doctor` for Slack: the bot token (`auth.test`), the scopes the manifest asks for (Slack
 * lists the token's scopes in the `x-oauth-scopes` response header), and how events arrive: Socket
 * Mode (`apps.connections.open` with the app-level token) or the HTTP receiver.
 */

export interface SlackDoctorConfig {
  SLACK_BOT_TOKEN?: string;
  SLACK_APP_TOKEN?: string;
  SLACK_SIGNING_SECRET?: string;
  SLACK_API_URL?: string;
  PORT: number;
}


export const SLACK_DOCTOR_DEFAULTS = {
  /** @defaultValue Slack's public Web API */
  apiUrl: 'https://slack.com/api',
  timeoutMs: 10_000,
} as const;

/** The bot scopes `manifest.yml` and `manifest.socket-mode.json` ask for (a test keeps them equal). */
export const MANIFEST_BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'channels:read',
  'chat:write',
  'chat:write.public',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'groups:read',
  'im:history',
  'im:read',
  'im:write',
  'mpim:history',
  'mpim:read',
  'users:read',
] as const;

async function call(base: string, method: string, token: string | undefined): Promise<{ body: { ok?: boolean; error?: string; [key: string]: unknown }; scopes: string | null; url: string }> {
  const url = `${base}/${method}`;
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token ?? ''}` }, signal: AbortSignal.timeout(SLACK_DOCTOR_DEFAULTS.timeoutMs) });
  const body = (await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }))) as { ok?: boolean; error?: string };
  return { body, scopes: response.headers.get('x-oauth-scopes'), url };
}

export async function checkSlack(config: SlackDoctorConfig, describeError: (error: unknown) => string): Promise<DoctorCheck[]> {
  const base = (config.SLACK_API_URL ?? SLACK_DOCTOR_DEFAULTS.apiUrl).replace(/\/+$/, '');
  const authUrl = `${base}/auth.test`;
  let auth;
  try {
    auth = await call(base, 'auth.test', config.SLACK_BOT_TOKEN);
  } catch (error) {
    return [{ name: 'slack token', ok: false, detail: `could not reach Slack (${describeError(error)})`, tried: authUrl, fix: 'Check the network, or SLACK_API_URL if you set it.' }];
  }
  if (!auth.body.ok) {
    return [{ name: 'slack token', ok: false, detail: `Slack refused SLACK_BOT_TOKEN: ${auth.body.error ?? 'unknown error'}`, tried: authUrl, fix: "Copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page; reinstall the app if it was revoked." }];
  }
  const checks: DoctorCheck[] = [{ name: 'slack token', ok: true, detail: `${String(auth.body.user ?? '?')} in ${String(auth.body.team ?? '?')}`, tried: authUrl }];

  const granted = new Set((auth.scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean));
  const missing = MANIFEST_BOT_SCOPES.filter((scope) => !granted.has(scope));
  checks.push(
    auth.scopes === null
      ? { name: 'slack scopes', ok: false, detail: 'Slack did not list the token\'s scopes (no x-oauth-scopes header)', tried: authUrl, fix: 'Compare OAuth & Permissions → Bot Token Scopes with adapters/slack/manifest.yml.' }
      : missing.length === 0
        ? { name: 'slack scopes', ok: true, detail: `all ${MANIFEST_BOT_SCOPES.length} scopes the manifest asks for`, tried: authUrl }
        : { name: 'slack scopes', ok: false, detail: `missing ${missing.join(', ')}`, tried: authUrl, fix: 'Add them under OAuth & Permissions → Bot Token Scopes (or re-create the app from the manifest), then reinstall the app.' },
  );

  if (config.SLACK_APP_TOKEN) {
    const openUrl = `${base}/apps.connections.open`;
    try {
      const open = await call(base, 'apps.connections.open', config.SLACK_APP_TOKEN);
      checks.push(
        open.body.ok
          ? { name: 'slack events', ok: true, detail: 'Socket Mode: SLACK_APP_TOKEN opens a connection', tried: openUrl }
          : { name: 'slack events', ok: false, detail: `Socket Mode: Slack refused SLACK_APP_TOKEN: ${open.body.error ?? 'unknown error'}`, tried: openUrl, fix: 'Turn on Socket Mode and create an app-level token with connections:write (Basic Information → App-Level Tokens).' },
      );
    } catch (error) {
      checks.push({ name: 'slack events', ok: false, detail: `Socket Mode: could not reach Slack (${describeError(error)})`, tried: openUrl });
    }
  } else {
    checks.push(
      config.SLACK_SIGNING_SECRET
        ? { name: 'slack events', ok: true, detail: `HTTP receiver on port ${config.PORT} at /slack/events; Slack must reach it over public HTTPS (Event Subscriptions shows "Verified")` }
        : { name: 'slack events', ok: false, detail: 'neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP receiver) is set', fix: 'Set SLACK_APP_TOKEN for Socket Mode (no public URL needed), or SLACK_SIGNING_SECRET for the HTTP receiver.' },
    );
  }
  return checks;
}
