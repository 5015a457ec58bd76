/** Words for desired state: each state, where a desired image comes from, and the tooltip that says both. */
import type { DesiredEntry, DesiredScope, DesiredState, EffectiveDesired } from '../../../shared/contract';
import { formatTime, imageShortName } from './format';

/** Short words for each state, as the badge shows them. */
export const desiredLabel: Record<DesiredState, string> = {
  'in-sync': 'in sync',
  staged: 'staged',
  behind: 'behind',
  unresolved: 'unresolved',
  conflict: 'conflict',
  unknown: 'unknown',
  none: 'none',
};

/** What each state means, for tooltips and filter hints. */
export const desiredMeaning: Record<DesiredState, string> = {
  'in-sync': 'Runs its desired image',
  staged: 'Its desired image is staged for the next boot',
  behind: 'Runs another image than its desired one',
  unresolved: 'The desired tag has not been resolved to a digest yet (Check registry)',
  conflict: 'Its tags ask for different images',
  unknown: 'Its booted image is not known yet (never read)',
  none: 'No desired image applies',
};

/** Every state, in the order filters list them (the ones that need action first). */
export const desiredStates: DesiredState[] = ['behind', 'staged', 'in-sync', 'unresolved', 'conflict', 'unknown', 'none'];

/** Words for a scope in tables: site, tag, device. */
export const scopeLabel: Record<DesiredScope, string> = { site: 'site', tag: 'tag', device: 'device' };

/** "from site north", "from tag canary", "from tags a, b", "set on the device". */
export function desiredSource(d: Pick<EffectiveDesired, 'source' | 'sourceName'>): string {
  if (d.source === 'device') return 'set on the device';
  if (d.source === 'tag') return `from ${d.sourceName?.includes(',') ? 'tags' : 'tag'} ${d.sourceName ?? ''}`;
  if (d.source === 'site') return `from site ${d.sourceName ?? ''}`;
  return '';
}

/** An image as a short label: its repository and tag without the registry host. */
export function imageLabel(ref: string): string {
  return imageShortName(ref.replace(/@sha256:[0-9a-f]+$/i, '')) || ref;
}

/** The tooltip of a device's desired state: the image, its source and its digest. */
export function desiredTitle(d: EffectiveDesired): string {
  if (d.state === 'conflict') return `Conflict: ${desiredMeaning.conflict}:\n${d.conflicts.map((c) => `tag ${c.tag}: ${c.image}`).join('\n')}`;
  if (!d.image) return desiredMeaning.none;
  const digest = d.digest
    ? `${d.digest}${d.pinned ? ' (pinned in the reference)' : d.resolvedAt ? ` (resolved ${formatTime(d.resolvedAt)})` : ''}`
    : 'not resolved to a digest yet';
  return `${desiredLabel[d.state].replace(/^./, (c) => c.toUpperCase())}: ${desiredMeaning[d.state].toLowerCase()}\nDesired ${d.image}\n${desiredSource(d).replace(/^./, (c) => c.toUpperCase())}\nDigest ${digest}`;
}

/** A registry error without its leading `REF: ` (where the reference is shown beside it). */
export function withoutRef(message: string, ref: string): string {
  const rest = message.startsWith(`${ref}: `) ? message.slice(ref.length + 2) : message;
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** A reference without a pinned `@sha256:…` digest. */
const unpinned = (ref: string): string => ref.trim().replace(/@sha256:[0-9a-f]+$/i, '');

/**
 * Whether a desired entry that requires signed images asks for this image (the same reference, a
 * pinned digest aside): a switch to it then enforces the signature policy unless unticked.
 */
export function requiresSigned(entries: readonly Pick<DesiredEntry, 'image' | 'requireSigned'>[] | null | undefined, image: string): boolean {
  const want = image.trim();
  if (!want || !entries) return false;
  return entries.some((e) => e.requireSigned && (e.image === want || unpinned(e.image) === unpinned(want)));
}
