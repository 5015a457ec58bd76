import type { Device } from '../../../shared/contract';
import { qualifiedName } from './names';

/**
 * Devices as an Ansible inventory (YAML), so a site that outgrows one laptop can drive the same
 * fleet from Ansible: a group per site (`site_plant`) holding each device with its connection
 * (host, port, user, key, sudo as become, jump hosts) and its desired and booted image as host
 * variables, and a group per tag (`tag_canary`) listing its devices. Scalars are written as JSON
 * strings, which YAML reads as they are.
 */
export function ansibleInventory(devices: Device[], generated: { at: string; by: string; version: string }): string {
  const group = (prefix: string, name: string) => `${prefix}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  // Host names: the device name where it is unique, else SITE/NAME.
  const count = new Map<string, number>();
  for (const d of devices) count.set(d.name, (count.get(d.name) ?? 0) + 1);
  const alias = (d: Device) => (count.get(d.name)! > 1 ? qualifiedName(d.name, d.siteName) : d.name);
  const q = (v: string | number | boolean) => JSON.stringify(v);
  const vars = (d: Device): string[] => {
    const v: [string, string | number | boolean | null][] = [
      ['ansible_host', d.host],
      ['ansible_port', d.port],
      ['ansible_user', d.user],
      ['ansible_ssh_private_key_file', d.keyPath],
      ['ansible_become', d.sudo ? true : null],
      ['ansible_ssh_common_args', d.proxyJump ? `-o ProxyJump=${d.proxyJump}` : null],
      ['bootfleet_site', d.siteName],
      ['bootfleet_desired_image', d.desired.image],
      ['bootfleet_desired_digest', d.desired.digest],
      ['bootfleet_booted_digest', d.status.booted?.digest ?? null],
      ['bootfleet_booted_version', d.status.booted?.version ?? null],
    ];
    return v.filter((x): x is [string, string | number | boolean] => x[1] !== null).map(([k, val]) => `          ${k}: ${q(val)}`);
  };
  const bySite = new Map<string | null, Device[]>();
  const byTag = new Map<string, Device[]>();
  for (const d of devices) {
    bySite.set(d.siteName, [...(bySite.get(d.siteName) ?? []), d]);
    for (const t of d.tags) byTag.set(t, [...(byTag.get(t) ?? []), d]);
  }
  const out = [
    `# Ansible inventory written by Bootfleet ${generated.version} on ${generated.at} for ${generated.by}: ${devices.length} device${devices.length === 1 ? '' : 's'}.`,
    '# Check it with: ansible-inventory --list -i FILE',
    'all:',
    '  children:',
  ];
  for (const [site, list] of [...bySite].sort(([a], [b]) => (a ?? '\uffff').localeCompare(b ?? '\uffff'))) {
    out.push(`    ${q(site === null ? 'no_site' : group('site', site))}:`, '      hosts:');
    for (const d of list) out.push(`        ${q(alias(d))}:`, ...vars(d));
  }
  for (const [tag, list] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`    ${q(group('tag', tag))}:`, '      hosts:');
    for (const d of list) out.push(`        ${q(alias(d))}: {}`);
  }
  return out.join('\n') + '\n';
}
