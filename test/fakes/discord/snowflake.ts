/** Discord epoch (2015-01-01); snowflakes must look real because @discordjs/rest keys buckets on 17–19 digit ids. */
const DISCORD_EPOCH = 1_420_070_400_000n;

let increment = 0n;

/** A fresh, strictly increasing snowflake (timestamp << 22 | counter), like Discord's. */
export function nextSnowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const timestamp = BigInt(at) - DISCORD_EPOCH;
  return ((timestamp << 22n) | (1n << 17n) | increment).toString();
}

/** Milliseconds since the Unix epoch encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
