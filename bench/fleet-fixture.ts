/**
 * A made-up fleet for the benchmarks: a CSV of N devices over 50 sites, and the bootc status
 * each would print (booted digest and version varied, every tenth staging an update).
 */

/** A bootc status document as a device prints it, with the booted digest and version varied per device. */
export function statusJson(i: number): string {
  const hex = (n: number) => n.toString(16).padStart(64, '0');
  const img = (d: number, v: string) => ({ image: { image: 'quay.io/acme/os:stable', transport: 'registry' }, version: v, timestamp: '2026-09-01T04:12:33Z', imageDigest: `sha256:${hex(d)}`, architecture: 'amd64' });
  const entry = (d: number, v: string) => ({ image: img(d, v), cachedUpdate: null, incompatible: false, pinned: false, softRebootCapable: false, downloadOnly: false, ostree: { stateroot: 'default', checksum: hex(d).slice(0, 64), deploySerial: 0 } });
  return JSON.stringify({
    apiVersion: 'org.containers.bootc/v1',
    kind: 'BootcHost',
    metadata: { name: 'host' },
    spec: { image: { image: 'quay.io/acme/os:stable', transport: 'registry' }, bootOrder: 'default' },
    status: { staged: i % 10 === 0 ? entry(3, '1.2') : null, booted: entry(i % 7 === 0 ? 1 : 2, i % 7 === 0 ? '1.0' : '1.1'), rollback: entry(1, '1.0'), rollbackQueued: false, type: 'bootcHost' },
  });
}

export const SITES = 50;
export const TAGS = ['edge', 'x86', 'arm64', 'kiosk', 'camera', 'gateway', 'canary', 'prod'];

export function makeCsv(n: number): string {
  const lines = ['name,host,port,user,site,tags,sudo,key,notes'];
  for (let i = 0; i < n; i++) {
    const site = `site-${String(i % SITES).padStart(2, '0')}`;
    const tags = [TAGS[i % TAGS.length], TAGS[(i * 7 + 3) % TAGS.length]].join(';');
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`dev-${String(i).padStart(6, '0')},${ip},22,core,${site},${tags},${i % 3 === 0},/home/ops/.ssh/id_ed25519,rack ${i % 40}`);
  }
  return lines.join('\n') + '\n';
}

