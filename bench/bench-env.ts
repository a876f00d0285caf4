import { BENCH_API_KEY } from './answer-text.ts';
import type { UpstreamReady } from './fake-upstream.ts';

/**
 * The environment every bench runs the real core with: the fake upstream, its own key prefix, no
 * health server, no tools config, and timeouts and a team budget that are not what a bench measures.
 */
export function benchEnv(upstream: Pick<UpstreamReady, 'openaiBaseUrl' | 'anthropicBaseUrl'>, prefix: string, redisUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    OFOX_API_KEY: BENCH_API_KEY,
    OFOX_BASE_URL: upstream.openaiBaseUrl,
    OFOX_ANTHROPIC_BASE_URL: upstream.anthropicBaseUrl,
    OFOX_FIRST_BYTE_TIMEOUT_MS: '30000',
    OFOX_IDLE_TIMEOUT_MS: '30000',
    OFOX_REQUESTS_PER_MINUTE: '1000000',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    HEALTH_PORT: '0',
    OFOX_BOT_CONFIG: '',
  };
}
