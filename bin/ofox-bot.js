#!/usr/bin/env node
// The command's entry point, in plain JavaScript that any Node.js can parse: it checks the version
// before anything else is imported (the bot's dependencies fail on older Node with stack traces
// that do not say why), then loads the real main.
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// engines.node is ">=MAJOR.MINOR"; a semver parser is not worth a dependency here.
const [needMajor = 0, needMinor = 0] = (/(\d+)\.(\d+)/.exec(pkg.engines.node) ?? []).slice(1).map(Number);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

if (major < needMajor || (major === needMajor && minor < needMinor)) {
  process.stderr.write(
    `ofox-bot needs Node.js ${needMajor}.${needMinor} or newer; this is ${process.version}.\n` +
      'Get Node 24 without touching the system (README, "Quick start"):\n' +
      '  npm install --prefix ~/.cache/node24 node@24 && export PATH="$HOME/.cache/node24/node_modules/node/bin:$PATH"\n',
  );
  process.exit(1);
}

const built = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('ofox-bot is not built yet: run `npm run build` (npm ci does it) in the ofox-bot folder.\n');
  process.exit(1);
}
await import(built.href);
