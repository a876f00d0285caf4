import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.ts';
import { pingRedis } from '../../helpers/redis-server.ts';

/**
 * A private redis-server the outage tests stop and start again on the same port (never the shared
 * one other tests use). Append-only is on, as in production, so queued jobs survive a restart.
 */
export class RestartableRedis {
  readonly port: number;
  readonly url: string;
  private readonly dir: string;
  private child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.dir = mkdtempSync(join(tmpdir(), 'ofox-outage-redis-'));
  }

  static async start(): Promise<RestartableRedis> {
    const redis = new RestartableRedis(await freePort());
    await redis.up();
    return redis;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server (again) and resolves once it answers PING. */
  async up(): Promise<void> {
    if (this.child) return;
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await pingRedis(this.url, 300)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the private redis-server on port ${this.port} did not answer PING`);
  }

  /** Kills the server (an outage, not a clean shutdown) and resolves once it has exited. */
  async down(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
