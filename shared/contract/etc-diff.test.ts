import { describe, expect, it } from 'vitest';
import { etcChangeExpected, parseEtcDiff, unexpectedEtcChanges } from './status';

describe('ostree admin config-diff', () => {
  it('parses what ostree prints: modified, removed, added, paths relative to /etc', () => {
    const text = 'M    ssh/sshd_config\nM    passwd\nD    motd\nA    machine-id\nA    NetworkManager/system-connections/lan.nmconnection\nA    name with spaces.conf\n';
    expect(parseEtcDiff(text)).toEqual({
      modified: ['ssh/sshd_config', 'passwd'],
      removed: ['motd'],
      added: ['machine-id', 'NetworkManager/system-connections/lan.nmconnection', 'name with spaces.conf'],
      truncated: 0,
    });
    expect(parseEtcDiff('')).toEqual({ modified: [], added: [], removed: [], truncated: 0 });
    // Anything else on the output (a warning) is not a change.
    expect(parseEtcDiff('warning: something\nM    hosts\n').modified).toEqual(['hosts']);
  });

  it('cuts long lists and counts the rest', () => {
    const text = Array.from({ length: 1005 }, (_, i) => `A    f${i}`).join('\n');
    const d = parseEtcDiff(text);
    expect(d.added).toHaveLength(1000);
    expect(d.truncated).toBe(5);
  });

  it('leaves out what every machine changes on first boot, and nothing else', () => {
    for (const p of ['machine-id', 'hostname', 'passwd', 'shadow-', 'ssh/ssh_host_ed25519_key', 'ssh/ssh_host_rsa_key.pub', 'localtime']) expect(etcChangeExpected(p), p).toBe(true);
    for (const p of ['ssh/sshd_config', 'sudoers', 'sudoers.d/ops', 'machine-idx', 'ssh/ssh_host_keys/extra', 'hosts', 'containers/policy.json']) expect(etcChangeExpected(p), p).toBe(false);
    const diff = parseEtcDiff('M    passwd\nM    chrony.conf\nD    motd\nA    machine-id\nA    sudoers.d/ops\n');
    expect(unexpectedEtcChanges(diff)).toEqual(['M chrony.conf', 'D motd', 'A sudoers.d/ops']);
  });
});
