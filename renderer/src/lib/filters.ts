/** The device filters' choices and words, shared by the Devices page and the rollout wizard. */
import type { DesiredState, DeviceFilter } from '../../../shared/contract';
import type { StateFilter } from '../stores/devices';

/** The state filter's choices. */
export const stateOptions: { value: StateFilter; label: string }[] = [
  { value: 'online', label: 'Online' },
  { value: 'offline', label: 'Offline' },
  { value: 'error', label: 'Error' },
  { value: 'not-bootc', label: 'Not bootc' },
  { value: 'never', label: 'Never contacted' },
  { value: 'stale', label: 'Stale' },
];

/** The on/off status filters. */
export const statusToggles = [
  { key: 'staged', label: 'Staged', title: 'Only devices with an update staged for the next boot' },
  { key: 'rollback', label: 'Rollback', title: 'Only devices with a rollback deployment' },
  { key: 'updateAvailable', label: 'Update available', title: 'Only devices where a check saw a newer image' },
] as const;

/** The desired-state filter's choices: each reads alone once chosen. */
export const desiredOptions: Record<DesiredState, string> = {
  behind: 'Behind desired',
  staged: 'Desired staged',
  'in-sync': 'In sync',
  unresolved: 'Unresolved',
  conflict: 'Desired conflict',
  unknown: 'Desired unknown',
  none: 'No desired image',
};

/** A filter in words, one part each: `site plant-7`, `tag edge`, `Behind desired`, `“plc”`. Empty: every device. */
export function filterWords(f: DeviceFilter): string[] {
  const out: string[] = [];
  if (f.site !== undefined) out.push(f.site === '' ? 'no site' : `site ${f.site}`);
  for (const t of f.tags ?? []) out.push(`tag ${t}`);
  if (f.reach?.length) out.push(f.reach.map((r) => stateOptions.find((o) => o.value === r)?.label ?? r).join(' or '));
  if (f.desired?.length) out.push(f.desired.map((d) => desiredOptions[d]).join(' or '));
  for (const t of statusToggles) if (f[t.key]) out.push(t.label);
  if (f.search) out.push(`“${f.search}”`);
  return out;
}
