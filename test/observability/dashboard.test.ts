import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config.ts';
import { metricsRegistry } from '../../src/observability/metrics.ts';

/**
 * The Grafana dashboard and the monitoring profile, checked against what the bot really exports:
 * a panel querying a renamed or misspelt series would show "No data" forever without failing.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr: string; datasource?: { uid?: string } }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(read('deploy/grafana/dashboards/ofox-bot.json')) as { uid: string; panels: Panel[] };
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, label names or strings. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/\[[^\]]*\]/g, ''); // ranges
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const next = stripped.slice(match.index + word.length).trimStart();
    if (next.startsWith('(') || PROMQL_WORDS.has(word.toLowerCase())) continue;
    names.push(word);
  }
  return names;
}

async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await metricsRegistry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    // A summary's series: the quantiles under its own name, plus _sum and _count.
    if (String(metric.type) === 'summary') for (const suffix of ['_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('reads metric names out of PromQL, leaving functions, keywords, labels and ranges out', () => {
    expect(
      metricNamesIn('histogram_quantile(0.99, sum by (le, platform) (rate(ofox_bot_x_seconds_bucket{kind="429"}[$__rate_interval]))) / on(instance) group_left ofox_bot_y'),
    ).toEqual(['ofox_bot_x_seconds_bucket', 'ofox_bot_y']);
  });

  it('queries only series the bot exports, histograms by their _bucket, _sum and _count', async () => {
    const exported = await exportedNames();
    const queried = new Set<string>();
    for (const panel of panels) {
      expect(panel.targets?.length ?? 0, `panel "${panel.title}" has no query`).toBeGreaterThanOrEqual(1);
      for (const target of panel.targets ?? []) {
        const names = metricNamesIn(target.expr);
        expect(names.length, `no metric in "${target.expr}"`).toBeGreaterThanOrEqual(1);
        for (const name of names) {
          expect(exported.has(name), `panel "${panel.title}" queries ${name}, which the bot does not export`).toBe(true);
          queried.add(name);
        }
      }
    }
    expect(queried.size).toBe(28);
  });

  it('has the panels an operator asked for, all on the provisioned Prometheus', () => {
    const titles = panels.map((panel) => panel.title);
    for (const title of ['Time to first text', 'Answers per minute by outcome', 'Queue depth', '429s by platform', 'Tokens by model', 'Spend by model', 'Tool latency', 'Answer feedback by model']) {
      expect(titles).toContain(title);
    }
    const datasource = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; url: string }> };
    const uids = new Set(panels.flatMap((panel) => [panel.datasource?.uid, ...(panel.targets ?? []).map((target) => target.datasource?.uid)]));
    expect([...uids]).toEqual([datasource.datasources[0]!.uid]);
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
    // The time-to-first-text panel shows both percentiles.
    const firstText = panels.find((panel) => panel.title === 'Time to first text')!;
    expect(firstText.targets!.map((target) => target.expr.match(/histogram_quantile\(([\d.]+)/)?.[1])).toEqual(['0.5', '0.99']);
  });
});

describe('docker compose --profile monitoring', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { profiles?: string[]; volumes?: string[]; build?: unknown }>;
  };

  it('starts Prometheus and Grafana only in the monitoring profile, with files that exist', () => {
    const monitoring = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('monitoring'));
    expect(monitoring.map(([name]) => name).sort()).toEqual(['grafana', 'prometheus']);
    for (const [, service] of monitoring) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(`${root}${source.slice(2)}`), `${source} is mounted but missing`).toBe(true);
      }
    }
  });

  it('scrapes every role the compose file runs, on the default health port', () => {
    const prometheus = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ dns_sd_configs: Array<{ names: string[]; port: number }> }>;
    };
    const scraped = prometheus.scrape_configs.flatMap((job) => job.dns_sd_configs.flatMap((config) => config.names.map((name) => `${name}:${config.port}`)));
    const roles = Object.entries(compose.services)
      // The bot's own image: every role it runs serves /metrics.
      .filter(([, service]) => service.build !== undefined)
      .map(([name]) => `${name}:${configSchema.parse({}).HEALTH_PORT}`);
    expect(scraped.sort()).toEqual(roles.sort());
  });
});
