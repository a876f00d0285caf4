// Fails when the project's own modules import each other in a circle, so the arrows of
// ARCHITECTURE.md keep pointing one way. Reads relative imports only; packages cannot form our cycles.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const roots = ['src', 'adapters'];
const files = [];
function walk(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(resolve(path));
  }
}
roots.forEach(walk);

const importPattern = /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map();
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of source.matchAll(importPattern)) {
    if (match[1]) continue; // type-only imports vanish at run time
    let target = resolve(dirname(file), match[2]);
    if (target.endsWith('.js')) target = target.slice(0, -3) + '.ts';
    if (!target.endsWith('.ts')) target = existsSync(target + '.ts') ? target + '.ts' : join(target, 'index.ts');
    targets.push(target);
  }
  graph.set(file, targets);
}

const state = new Map();
const stack = [];
const cycles = [];
function visit(node) {
  state.set(node, 'open');
  stack.push(node);
  for (const next of graph.get(node) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(node, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length > 0) {
  console.error(`Circular imports (${cycles.length}):`);
  for (const cycle of cycles) console.error('  ' + cycle.map((f) => relative(process.cwd(), f)).join(' -> '));
  process.exit(1);
}
console.log(`check-cycles: ${graph.size} modules, no circular imports`);
