/**
 * What a pacer granted each ticket last, for `WritePacer.sendingNow`, which must find that grant's
 * tokens again. Most grants are sent at once and never looked up, so entries older than any
 * window a budget spans are dropped as new ones arrive (a Map keeps insertion order, oldest first).
 */
export class RecentGrants<T extends { at: number }> {
  private readonly grants = new Map<string, T>();
  private readonly keepMs: number;

  /** @param keepMs how long a grant can still be looked up, on the clock its `at` is on. */
  constructor(keepMs = 60_000) {
    this.keepMs = keepMs;
  }

  remember(ticket: string, grant: T, now: number): void {
    this.grants.delete(ticket);
    this.grants.set(ticket, grant);
    for (const [key, old] of this.grants) {
      if (old.at + this.keepMs > now) break;
      this.grants.delete(key);
    }
  }

  /** The ticket's last grant, forgotten as it is handed back (a grant is sent once). */
  take(ticket: string): T | undefined {
    const grant = this.grants.get(ticket);
    this.grants.delete(ticket);
    return grant;
  }

  forget(ticket: string): void {
    this.grants.delete(ticket);
  }

  get size(): number {
    return this.grants.size;
  }
}
