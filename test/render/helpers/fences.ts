/**
 * An independent, deliberately plain reading of fenced code blocks for the tests, so the
 * splitter's own fence logic is not checking itself.
 */

interface Fence {
  char: string;
  length: number;
  opening: string;
}

export function openFenceAfter(text: string): Fence | undefined {
  let open: Fence | undefined;
  for (const line of text.split('\n')) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!match) continue;
    const marker = match[1]!;
    const info = match[2]!;
    if (open) {
      if (marker[0] === open.char && marker.length >= open.length && info.trim() === '') open = undefined;
    } else if (!(marker[0] === '`' && info.includes('`'))) {
      open = { char: marker[0]!, length: marker.length, opening: marker + (info.trim().split(/\s+/)[0] ?? '') };
    }
  }
  return open;
}

export function balanced(text: string): boolean {
  return openFenceAfter(text) === undefined;
}

/**
 * Joins split pieces back into the source: strips the fence each piece reopened at its top and
 * the one it closed at its bottom. Whether a closing fence (and the newline before it) was added
 * or is part of the source is settled against the source, backtracking when a guess fails later.
 * Throws with the first piece that cannot continue the source.
 */
export function rejoin(pieces: readonly string[], source: string): string {
  let deepest = 0;
  const walk = (index: number, joined: string): string | undefined => {
    deepest = Math.max(deepest, index);
    if (index === pieces.length) return joined.length === source.length ? joined : undefined;
    let content = pieces[index]!;
    const openBefore = openFenceAfter(joined);
    if (index > 0 && openBefore) {
      const header = `${openBefore.opening.slice(0, openBefore.length + 20)}\n`;
      if (!content.startsWith(header)) return undefined;
      content = content.slice(header.length);
    }
    const candidates: string[] = [];
    const closing = /\n?(`{3,}|~{3,})$/.exec(content);
    if (closing) {
      const fence = closing[1]!;
      const withoutFence = content.slice(0, -fence.length);
      const open = openFenceAfter(joined + withoutFence);
      if (open && fence[0] === open.char && fence.length === open.length) {
        candidates.push(withoutFence);
        if (withoutFence.endsWith('\n')) candidates.push(withoutFence.slice(0, -1));
      }
    }
    candidates.push(content);
    for (const candidate of candidates) {
      if (!source.startsWith(joined + candidate)) continue;
      const result = walk(index + 1, joined + candidate);
      if (result !== undefined) return result;
    }
    return undefined;
  };
  const result = walk(0, '');
  if (result === undefined) {
    throw new Error(`piece ${deepest} does not continue the source: ${JSON.stringify(pieces[deepest]?.slice(0, 80))}`);
  }
  return result;
}
