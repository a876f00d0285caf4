import { readFileSync } from 'node:fs';

/**
 * The version in package.json, found by walking up from this file: it sits two levels up from the
 * sources (`src/cli/`) and three from the build (`dist/src/cli/`).
 */
export function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ofox-bot' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
