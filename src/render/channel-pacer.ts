/**
 * Platform edit limits are per channel, not per process: every answer streaming in a channel, in
 * every worker, draws its writes from one budget. A pacer hands out that budget as reservations.
 */

export interface ChannelBudget {
  /** Writes (edits and creates) allowed in one channel per window. */
  editsPerWindow: number;
  windowMs: number;
  /**
   * A second limit every write also counts against, shared by all channels (Discord: about 50
   * requests a second per bot). A slot is granted only when both the channel and this have room.
   * @defaultValue none
   */
  shared?: { key: string; editsPerWindow: number; windowMs: number };
}

export interface ChannelPacer {
  /**
   * Reserves the channel's next free write slot, first come first served, and resolves with the
   * milliseconds to wait before using it (0: write now). The caller writes its latest snapshot
   * when the wait is over. Never rejects: an implementation that cannot reach shared state paces
   * locally instead.
   */
  reserve(channelKey: string, budget: ChannelBudget): Promise<number>;
  /** The platform answered 429 for this channel: no slot is handed out for `delayMs`. Never rejects. */
  holdOff(channelKey: string, delayMs: number, budget: ChannelBudget): Promise<void>;
}
