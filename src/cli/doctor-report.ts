import type { DoctorReport } from './doctor.ts';

/** Results first, one line each (plus what was tried and the fix when it failed); the config only on request. */
export function printDoctorReport(report: DoctorReport, options: { verbose: boolean; write: (text: string) => void }): void {
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${check.ok ? '✔' : '✘'} ${check.name}: ${check.detail}`);
    if (!check.ok && check.tried) lines.push(`    tried: ${check.tried}`);
    if (!check.ok && check.fix) lines.push(`    fix:   ${check.fix}`);
    if (check.warning) lines.push(`    note:  ${check.warning}`);
  }
  const failed = report.checks.filter((check) => !check.ok).length;
  lines.push('', failed === 0 ? `All ${report.checks.length} checks passed.` : `${failed} of ${report.checks.length} checks failed.`);
  if (options.verbose) {
    lines.push('', 'Configuration (secrets redacted):');
    for (const [key, value] of Object.entries(report.config)) if (value !== undefined && value !== '') lines.push(`  ${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  } else {
    lines.push('(--verbose also prints the configuration, secrets redacted)');
  }
  options.write(`${lines.join('\n')}\n`);
}
